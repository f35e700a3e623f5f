(* Each promise's callback resolves the next one with Lwt.wakeup. Wherever
   Lwt.wakeup runs callbacks synchronously, resolving the first promise
   recurses once per link, so a long enough chain overflows the stack. *)
external reset_sigsegv : unit -> unit = "lwtr_reset_sigsegv"

let () =
  reset_sigsegv ();
  let n = int_of_string Sys.argv.(1) in
  let first, first_wakener = Lwt.wait () in
  let resolved = ref 0 in
  let rec link i p =
    if i = n then p
    else begin
      let next, wakener = Lwt.wait () in
      Lwt.on_success p (fun () -> incr resolved; Lwt.wakeup wakener ());
      link (i + 1) next
    end
  in
  let last = link 0 first in
  Lwt.wakeup first_wakener ();
  (* An overflow swallowed by Lwt would leave links unresolved: only a complete chain is clean. *)
  if Lwt.is_sleeping last || !resolved <> n then begin
    Printf.printf "incomplete: %d of %d links resolved\n" !resolved n;
    exit 3
  end;
  Printf.printf "clean: %d links resolved\n" !resolved
