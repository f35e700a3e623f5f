(** A toy key-value store shaped like a service built on Lwt: writes go
    through one [Lwt_mutex] to an [Lwt_io] channel (its log), and replicas
    forward every write down a chain. *)

type t

val create : Lwt_io.output_channel -> t
(** A store whose log is written to the channel. *)

val put : t -> string -> string -> unit Lwt.t
(** Appends [key=value] to the log, holding the store's lock for the write
    only, so that the next writer gets the lock as soon as this one's line is
    buffered. *)

val writes : t -> int
(** Writes done so far. *)

val next_change : t -> string Lwt.t
(** The key of the next write (an [Lwt_react] event); each write is also
    logged at the debug level with [Lwt_log]. *)

module Replica : sig
  type chain

  val chain : int -> chain
  (** [chain n]: [n] replicas, each waiting for the one before it. *)

  val forward : chain -> unit
  (** The head applies the write and forwards it; each replica, once it has
      applied it, wakes the next at once. *)

  val applied : chain -> int
  (** Replicas that applied the write. *)
end
