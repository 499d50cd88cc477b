package kafka

// Produce (API key 0), versions 0-13, flexible from v9.
//
//	ProduceRequest: TransactionalID nullable-string (v3+), Acks int16,
//	  TimeoutMillis int32, Topics [Topic string (v0-12) | TopicID uuid (v13+),
//	  Partitions [Partition int32, Records nullable-bytes]]
//	ProduceResponse: Topics [Topic | TopicID, Partitions [Partition int32,
//	  ErrorCode int16, BaseOffset int64, LogAppendTime int64 (v2+),
//	  LogStartOffset int64 (v5+), ErrorRecords [RelativeOffset int32,
//	  ErrorMessage nullable-string] (v8+), ErrorMessage nullable-string
//	  (v8+)]], ThrottleMillis int32 (v1+)
//
// A request with acks=0 gets no response: it is marked parser.OneWay.

func (d *decoder) produceRequest() {
	if d.v >= 3 {
		d.txnID(d.str())
	}
	acks := d.Int16()
	timeout := d.Int32()
	if d.ok() {
		d.acks, d.timeout = acks, timeout
		d.have |= haveAcks
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicRef(13)
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			d.Skip(4)
			d.rec.scan(d.bytes())
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
	d.tags()
}

func (d *decoder) produceResponse() {
	fixed := 4 + 2 + 8
	if d.v >= 2 {
		fixed += 8
	}
	if d.v >= 5 {
		fixed += 8
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicRef(13)
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			// Partition, ErrorCode, BaseOffset, LogAppendTime, LogStartOffset.
			d.errorCodeIn(fixed, 4)
			if d.v >= 8 {
				ne := d.array()
				for k := 0; k < ne && d.ok(); k++ {
					d.Skip(4)
					d.skipStr()
					d.tags()
				}
				d.skipStr()
			}
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
	if d.v >= 1 {
		d.throttleTime()
	}
	d.tags()
}
