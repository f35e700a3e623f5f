(* The wakeup-chain with Lwt.wakeup_later (Lwt 2.3.1 on): a wakeup made while
   Lwt is already resolving something is queued instead of run at once, so
   the chain unwinds in a loop and must stay clean however long it is. *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let first, first_wakener = Lwt.wait () in
  let resolved = ref 0 in
  let rec link i p =
    if i = n then ()
    else begin
      let next, wakener = Lwt.wait () in
      ignore (Lwt.bind p (fun () -> incr resolved; Lwt.wakeup_later wakener (); Lwt.return ()));
      link (i + 1) next
    end
  in
  link 0 first;
  Lwt.wakeup first_wakener ();
  (* An overflow swallowed by Lwt would leave links unresolved: only a complete chain is clean. *)
  if !resolved <> n then begin
    Printf.printf "incomplete: %d of %d links resolved\n" !resolved n;
    exit 3
  end;
  Printf.printf "clean: %d links resolved\n" !resolved
