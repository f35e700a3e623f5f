(* A promise tower resolved by the main loop: N pending Lwt.map promises,
   each on the one below, wait on one read from a socket, as requests of a
   service queue up behind one pending reply. The reply arrives through
   Lwt_main.run (the engine sees the socket readable, Lwt_io's read resolves),
   and resolving the bottom resolves each level from inside the callback of
   the level below, under the main loop's frames: the stack grows with the
   height of the tower. Lwt never bounded this for Lwt.wakeup-style
   resolution (the nesting limit of 3.2.0 applies to wakeup_later only). *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let fd_out, fd_in = Lwt_unix.socketpair Unix.PF_UNIX Unix.SOCK_STREAM 0 in
  let out = Lwt_io.of_fd ~mode:Lwt_io.output fd_out in
  let inp = Lwt_io.of_fd ~mode:Lwt_io.input fd_in in
  let reply = Lwt_io.read_char inp in
  let rec tower i p = if i = n then p else tower (i + 1) (Lwt.map (fun x -> x + 1) p) in
  let top = tower 0 (Lwt.map (fun _ -> 0) reply) in
  let writer =
    Lwt.bind (Lwt_unix.sleep 0.01) (fun () ->
      Lwt.bind (Lwt_io.write_char out 'r') (fun () -> Lwt_io.flush out))
  in
  let height = Lwt_main.run (Lwt.bind writer (fun () -> top)) in
  if height <> n then begin
    Printf.printf "incomplete: the top of the tower of %d is at %d\n" n height;
    exit 3
  end;
  Printf.printf "clean: tower of %d resolved by the main loop\n" height
