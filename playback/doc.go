// Package playback reads recorded traffic back from Kafka: it consumes
// the records a kafkasink.Sink produced (a time range or offset ranges of
// a topic), merges the partitions in capture-time order while keeping
// each partition's order (a connection's items share a partition, so
// every connection is rebuilt in order), and hands the items on: to a
// callback (Read) or as pcapng (WritePcapng) that Wireshark and tshark
// open and that wirekit's own decoders (pcaptest, pcapdecode -from-kafka)
// read like any capture.
//
// # Limits
//
//   - The range is fixed when Read starts: the end of each partition is
//     its high watermark then (or the first offset at Options.Until), so
//     Read ends even while agents keep producing.
//   - Items are held in memory for the merge, at most Options.MaxBytes
//     record bytes (default 1 GiB); a range holding more fails with
//     ErrTooLarge. Select a smaller range (Since/Until, Offsets).
//   - Records that are not kafkasink items (another HeaderFormat) are
//     counted in Stats.OtherFormat, malformed ones in Stats.Malformed;
//     neither stops the playback.
//   - Items the producer dropped (see kafkasink.Stats) are not in the
//     topic: a connection then shows a gap (a jump in offset and
//     sequence number), never bytes that were not recorded.
package playback
