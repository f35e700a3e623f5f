(* A promise tower: N pending promises, each Lwt.map of the one below, all
   resolved by one Lwt.wakeup of the bottom promise. Resolving each level
   resolves the next from inside its callback, so the stack grows with the
   height of the tower. Lwt never bounded this (the nesting limit of 3.2.0
   applies to wakeup_later only); 2.1.x survived bind towers, not map. *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let bottom, wakener = Lwt.wait () in
  let rec tower i p = if i = n then p else tower (i + 1) (Lwt.map (fun x -> x + 1) p) in
  let top = tower 0 bottom in
  Lwt.wakeup wakener 0;
  match Lwt.state top with
  | Lwt.Return height when height = n -> Printf.printf "clean: tower of %d resolved\n" height
  | _ ->
    Printf.printf "incomplete: the top of the tower of %d is not resolved\n" n;
    exit 3
