(* Linked by lwt-regress before every case, after the stub it calls: its
   initialiser resets SIGSEGV before the case's code runs, so that a stack
   overflow in OCaml code dumps a core, as the production crash did. *)
external reset_sigsegv : unit -> unit = "lwtr_reset_sigsegv"

let () = reset_sigsegv ()
