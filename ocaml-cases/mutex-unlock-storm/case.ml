(* The Arakoon crash (2011): many threads wait on one Lwt_mutex; each one,
   once woken, unlocks at once. Where Lwt_mutex.unlock wakes the next waiter
   with Lwt.wakeup, that waiter runs inside unlock, unlocks in turn, and the
   stack grows by one round of Lwt's wakeup machinery per waiter. Only the
   Lwt API of 2.0 onward is used, so the case builds against every era. *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let m = Lwt_mutex.create () in
  let gate, open_gate = Lwt.wait () in
  ignore (Lwt.bind (Lwt_mutex.lock m) (fun () ->
    Lwt.bind gate (fun () -> Lwt_mutex.unlock m; Lwt.return ())));
  let done_ = ref 0 in
  for _ = 1 to n do
    ignore (Lwt.bind (Lwt_mutex.lock m) (fun () -> incr done_; Lwt_mutex.unlock m; Lwt.return ()))
  done;
  Lwt.wakeup open_gate ();
  (* An overflow caught inside Lwt would leave waiters behind: only all of them is clean. *)
  if !done_ <> n then begin
    Printf.printf "incomplete: %d of %d waiters ran\n" !done_ n;
    exit 3
  end;
  Printf.printf "clean: %d waiters ran\n" !done_
