import ArgumentParser
import SluiceStore

struct Spool: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look after a server's spool and its checkpoint.",
        discussion: """
            Example:
              sluice spool reset-checkpoint --node-id ingest-2 --confirm-spool-gone
            """,
        subcommands: [ResetCheckpoint.self]
    )

    struct ResetCheckpoint: FailingCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-checkpoint",
            abstract: "Delete a node's spool checkpoint, after its old spool is gone for good.",
            discussion: """
                A server refuses to load when its node's checkpoint belongs to another spool: the spool \
                directory was wiped or replaced, or a second directory uses the same --node-id. If the old \
                spool is gone for good (its unloaded events are lost), this deletes the node's checkpoint \
                row, and the node's next start loads its current spool from the beginning. If the old spool \
                still exists, do not run this: give the new server its own --node-id instead.

                Example:
                  sluice spool reset-checkpoint --node-id ingest-2 --confirm-spool-gone
                """
        )

        @Option(name: .customLong("node-id"), help: "The node whose checkpoint to delete.")
        var nodeID: String
        @Flag(name: .customLong("confirm-spool-gone"), help: "Confirm that the node's old spool is gone for good.")
        var confirmed = false
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard confirmed else {
                throw ValidationError(
                    "this deletes the checkpoint of node \(nodeID); add --confirm-spool-gone once you are sure its "
                        + "old spool is gone for good"
                )
            }
        }

        func execute() throws {
            let row = try database.withConnection { try SpoolCheckpointStore.reset(nodeID: nodeID, on: $0) }
            guard let row else {
                print("node \(nodeID) has no checkpoint; nothing to reset")
                return
            }
            print(
                "deleted the checkpoint of node \(row.nodeID) (spool \(row.spoolID ?? "unclaimed"), position "
                    + "\(row.segment):\(row.offset), \(row.rowsLoaded) rows loaded); restart its server"
            )
        }
    }
}
