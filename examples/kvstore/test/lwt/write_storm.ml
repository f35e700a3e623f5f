(* Many clients put one key each, all at once, under Lwt_main.run: the
   store's lock passes from one writer to the next as soon as a line is
   buffered. It must stay clean: where Lwt_mutex.unlock woke the next waiter
   with Lwt.wakeup (Lwt 2.3.0 and before), every writer would run inside the
   previous one's unlock, and the stack would grow with the number of clients. *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let fd_log, fd_reader = Lwt_unix.socketpair Unix.PF_UNIX Unix.SOCK_STREAM 0 in
  let log = Lwt_io.of_fd ~mode:Lwt_io.output fd_log in
  let reader = Lwt_io.of_fd ~mode:Lwt_io.input fd_reader in
  let store = Kvstore.create log in
  let rec count_lines k =
    Lwt.bind (Lwt_io.read_line_opt reader) (function
      | None -> Lwt.return k
      | Some _ -> count_lines (k + 1))
  in
  let counted = count_lines 0 in
  let first = Kvstore.next_change store in
  let clients = List.init n (fun i -> Kvstore.put store (Printf.sprintf "k%d" i) "v") in
  let lines =
    Lwt_main.run (Lwt.bind (Lwt.join clients) (fun () -> Lwt.bind (Lwt_io.close log) (fun () -> counted)))
  in
  if Kvstore.writes store <> n || lines <> n || Lwt.state first <> Lwt.Return "k0" then begin
    Printf.printf "incomplete: %d of %d writes, %d lines logged\n" (Kvstore.writes store) n lines;
    exit 3
  end;
  Printf.printf "clean: %d writes logged\n" lines
