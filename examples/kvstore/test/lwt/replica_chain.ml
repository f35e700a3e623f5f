(* A write forwarded down a chain of replicas, under Lwt_main.run. The chain
   recurses once per replica (Kvstore.Replica.chain): a long one overflows
   the stack on every Lwt, which is this project's bug to fix, not Lwt's. *)
let () =
  let n = int_of_string Sys.argv.(1) in
  let chain = Kvstore.Replica.chain n in
  Lwt_main.run (Lwt.return (Kvstore.Replica.forward chain));
  let applied = Kvstore.Replica.applied chain in
  if applied <> n then begin
    Printf.printf "incomplete: %d of %d replicas applied the write\n" applied n;
    exit 3
  end;
  Printf.printf "clean: %d replicas applied the write\n" applied
