(* Lwt_seq.of_list (5.5.0 to 5.7.x) is not tail-recursive: it builds the
   sequence by recursion over the list, one stack frame per element, before
   anything is asynchronous at all. Fixed in 5.8.0 (#1019). *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let seq = Lwt_seq.of_list (List.init n (fun i -> i)) in
  let count = ref 0 in
  ignore (Lwt_seq.iter (fun _ -> incr count) seq);
  if !count <> n then begin
    Printf.printf "incomplete: %d of %d elements seen\n" !count n;
    exit 3
  end;
  Printf.printf "clean: %d elements\n" !count
