(* Each promise's callback resolves the next one with Lwt.wakeup. Wherever
   Lwt.wakeup runs callbacks synchronously, resolving the first promise
   recurses once per link, so a long enough chain overflows the stack: the
   positive control that proves a crash can be seen at all. *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let first, first_wakener = Lwt.wait () in
  let resolved = ref 0 in
  let rec link i p =
    if i = n then ()
    else begin
      let next, wakener = Lwt.wait () in
      ignore (Lwt.bind p (fun () -> incr resolved; Lwt.wakeup wakener (); Lwt.return ()));
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
