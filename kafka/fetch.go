package kafka

// Fetch (API key 1), versions 0-18, flexible from v12; topics by id from v13.
//
//	FetchRequest: ReplicaID int32 (v0-14), MaxWaitMillis int32, MinBytes
//	  int32, MaxBytes int32 (v3+), IsolationLevel int8 (v4+), SessionID int32
//	  and SessionEpoch int32 (v7+), Topics [Topic string (v0-12) | TopicID
//	  uuid (v13+), Partitions [Partition int32, CurrentLeaderEpoch int32
//	  (v9+), FetchOffset int64, LastFetchedEpoch int32 (v12+), LogStartOffset
//	  int64 (v5+), PartitionMaxBytes int32]], ForgottenTopics [Topic | TopicID,
//	  Partitions [int32]] (v7+), Rack string (v11+)
//	FetchResponse: ThrottleMillis int32 (v1+), ErrorCode int16 and SessionID
//	  int32 (v7+), Topics [Topic | TopicID, Partitions [Partition int32,
//	  ErrorCode int16, HighWatermark int64, LastStableOffset int64 (v4+),
//	  LogStartOffset int64 (v5+), AbortedTransactions nullable [ProducerID
//	  int64, FirstOffset int64] (v4+), PreferredReadReplica int32 (v11+),
//	  RecordBatches nullable-bytes]]
//
// An incremental fetch (a session) may carry no topics at all.

func (d *decoder) fetchRequest() {
	if d.v <= 14 {
		d.Skip(4)
	}
	maxWait := d.Int32()
	if d.ok() {
		d.maxWait = maxWait
		d.have |= haveMaxWait
	}
	d.Skip(4)
	if d.v >= 3 {
		d.Skip(4)
	}
	if d.v >= 4 {
		d.Skip(1)
	}
	if d.v >= 7 {
		d.Skip(8)
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicRef(13)
		np := d.array()
		skip := 4 + 8 + 4 // partition, fetch offset, partition max bytes
		if d.v >= 9 {
			skip += 4
		}
		if d.v >= 12 {
			skip += 4
		}
		if d.v >= 5 {
			skip += 8
		}
		for j := 0; j < np && d.ok(); j++ {
			d.Skip(skip)
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
	if d.v >= 7 {
		nf := d.array()
		for i := 0; i < nf && d.ok(); i++ {
			if d.v >= 13 {
				d.Skip(16)
			} else {
				d.skipStr()
			}
			d.skipArray(4)
			d.tags()
		}
	}
	if d.v >= 11 {
		d.skipStr()
	}
	d.tags()
}

func (d *decoder) fetchResponse() {
	if d.v >= 1 {
		d.throttleTime()
	}
	if d.v >= 7 {
		d.errorCode()
		d.Skip(4)
	}
	fixed := 4 + 2 + 8
	if d.v >= 4 {
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
			// Partition, ErrorCode, HighWatermark, LastStableOffset,
			// LogStartOffset.
			d.errorCodeIn(fixed, 4)
			if d.v >= 4 {
				na := d.array()
				if d.flex {
					for k := 0; k < na && d.ok(); k++ {
						d.Skip(16)
						d.tags()
					}
				} else if na > 0 {
					d.Skip(d.length(uint64(na) * 16))
				}
			}
			if d.v >= 11 {
				d.Skip(4)
			}
			d.rec.scan(d.bytes())
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
	d.tags()
}
