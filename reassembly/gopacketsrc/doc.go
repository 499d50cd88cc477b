// Package gopacketsrc adapts gopacket's decoded layers to the plain
// [reassembly.Segment] values the reassembler takes, for callers that
// already decode packets with gopacket (github.com/google/gopacket). Package
// reassembly itself depends on no packet library: its own allocation-free
// reassembly.DecodePacket and pcap/pcapng readers cover files and most
// live sources; this package is the slower reference path, and the tests
// here check DecodePacket against it on every corpus packet.
//
//	d := gopacketsrc.NewLayerDecoder(reassembly.LinkEthernet)
//	var seg reassembly.Segment
//	if err := d.Decode(frame, ci, &seg); err == nil {
//		assembler.Assemble(&seg)
//	}
//
// Decode returns reassembly.ErrNotTCP for frames that are not TCP over IP,
// reassembly.ErrFragment for IP fragments (not reassembled), and
// reassembly.ErrLinkType for link types DecodePacket does not handle
// either. A LayerDecoder is not safe for concurrent use.
package gopacketsrc
