(* Lwt_list.map_s over a long list with a function whose promise is already
   resolved: up to 3.0.x, map_s recursed through bind for the rest of the
   list and then mapped the result, one pending frame per element. Fixed in
   3.1.0 (#347). *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let rec range acc i = if i = 0 then acc else range (i :: acc) (i - 1) in
  let mapped = Lwt_list.map_s (fun x -> Lwt.return (x + 1)) (range [] n) in
  match Lwt.state mapped with
  | Lwt.Return l when List.length l = n -> Printf.printf "clean: %d elements mapped\n" n
  | _ ->
    Printf.printf "incomplete: map_s over %d elements did not finish\n" n;
    exit 3
