type t = {
  lock : Lwt_mutex.t;
  log : Lwt_io.output_channel;
  mutable writes : int;
  changes : string React.event;
  changed : string -> unit;
}

let create log =
  let changes, changed = React.E.create () in
  { lock = Lwt_mutex.create (); log; writes = 0; changes; changed }

let put t key value =
  Lwt_mutex.with_lock t.lock (fun () ->
      t.writes <- t.writes + 1;
      Lwt_log.ign_debug_f "put %s" key;
      t.changed key;
      Lwt_io.write_line t.log (key ^ "=" ^ value))

let next_change t = Lwt_react.E.next t.changes

let writes t = t.writes

module Replica = struct
  type chain = { head : unit Lwt.u; mutable applied : int }

  (* Each replica waits on its own promise and wakes the next one with
     Lwt.wakeup as soon as it has applied the write: the whole chain then runs
     inside the head's wakeup, one round of Lwt's resolution per replica.
     This is the project's own unbounded recursion, whatever the Lwt. *)
  let chain n =
    let first, head = Lwt.wait () in
    let c = { head; applied = 0 } in
    let rec link i waiting =
      if i < n then begin
        let next, wake_next = Lwt.wait () in
        ignore
          (Lwt.bind waiting (fun () ->
               c.applied <- c.applied + 1;
               Lwt.wakeup wake_next ();
               Lwt.return ()));
        link (i + 1) next
      end
    in
    link 0 first;
    c

  let forward c = Lwt.wakeup c.head ()

  let applied c = c.applied
end
