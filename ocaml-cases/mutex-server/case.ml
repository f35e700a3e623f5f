(* The Arakoon crash (2011) as it happened in a server: under Lwt_main.run,
   many client threads wait on one Lwt_mutex that guards writes to an Lwt_io
   channel over a socket pair, and each releases it as soon as its write is
   buffered. The server holds the lock until the main loop wakes it (a timer,
   as a request would); its unlock then wakes the first client. Where
   Lwt_mutex.unlock wakes the next waiter with Lwt.wakeup, each client runs
   inside the previous one's unlock, and the stack grows by one round of
   Lwt's wakeup machinery per client, below the main loop's frames. A reader
   on the other end counts what arrived, so only a complete run is clean. *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let fd_out, fd_in = Lwt_unix.socketpair Unix.PF_UNIX Unix.SOCK_STREAM 0 in
  let out = Lwt_io.of_fd ~mode:Lwt_io.output fd_out in
  let inp = Lwt_io.of_fd ~mode:Lwt_io.input fd_in in
  let m = Lwt_mutex.create () in
  let written = ref 0 in
  let server =
    Lwt.bind (Lwt_mutex.lock m) (fun () ->
      Lwt.bind (Lwt_unix.sleep 0.01) (fun () -> Lwt_mutex.unlock m; Lwt.return ()))
  in
  let client () =
    Lwt.bind (Lwt_mutex.lock m) (fun () ->
      Lwt.bind (Lwt_io.write_char out 'x') (fun () ->
        incr written;
        Lwt_mutex.unlock m;
        Lwt.return ()))
  in
  let rec clients i acc = if i = n then acc else clients (i + 1) (client () :: acc) in
  let rec read_all count =
    Lwt.bind (Lwt_io.read ~count:65536 inp) (fun s ->
      if s = "" then Lwt.return count else read_all (count + String.length s))
  in
  let reader = read_all 0 in
  let served = Lwt.bind (Lwt.join (server :: clients 0 [])) (fun () -> Lwt_io.close out) in
  let received = Lwt_main.run (Lwt.bind served (fun () -> reader)) in
  if !written <> n || received <> n then begin
    Printf.printf "incomplete: %d of %d clients wrote, %d bytes arrived\n" !written n received;
    exit 3
  end;
  Printf.printf "clean: %d clients served, %d bytes arrived\n" !written received
