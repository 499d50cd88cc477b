package kafka

// ListOffsets (API key 2, v0-11, flexible from v6), OffsetCommit (8, v0-10,
// flexible from v8, topic ids from v10) and OffsetFetch (9, v0-10, flexible
// from v6, grouped from v8, topic ids from v10).
//
//	ListOffsetsRequest: ReplicaID int32, IsolationLevel int8 (v2+), Topics
//	  [Topic string, Partitions [Partition int32, CurrentLeaderEpoch int32
//	  (v4+), Timestamp int64, MaxNumOffsets int32 (v0)]], TimeoutMillis int32
//	  (v10+)
//	ListOffsetsResponse: ThrottleMillis int32 (v2+), Topics [Topic,
//	  Partitions [Partition int32, ErrorCode int16, OldStyleOffsets [int64]
//	  (v0), Timestamp int64 and Offset int64 (v1+), LeaderEpoch int32 (v4+)]]
//	OffsetCommitRequest: Group string, Generation int32 and MemberID string
//	  (v1+), InstanceID nullable-string (v7+), RetentionTimeMillis int64
//	  (v2-4), Topics [Topic (v0-9) | TopicID (v10+), Partitions [Partition
//	  int32, Offset int64, Timestamp int64 (v1), LeaderEpoch int32 (v6+),
//	  Metadata nullable-string]]
//	OffsetCommitResponse: ThrottleMillis int32 (v3+), Topics [Topic | TopicID,
//	  Partitions [Partition int32, ErrorCode int16]]
//	OffsetFetchRequest: v0-7: Group string, Topics nullable [Topic,
//	  Partitions [int32]]; v8+: Groups [Group, MemberID nullable-string and
//	  MemberEpoch int32 (v9+), Topics nullable [Topic (v8-9) | TopicID (v10),
//	  Partitions [int32]]]; RequireStable bool (v7+)
//	OffsetFetchResponse: ThrottleMillis int32 (v3+); v0-7: Topics [Topic,
//	  Partitions [Partition int32, Offset int64, LeaderEpoch int32 (v5+),
//	  Metadata nullable-string, ErrorCode int16]], ErrorCode int16 (v2+);
//	  v8+: Groups [Group, Topics [Topic | TopicID, Partitions [Partition,
//	  Offset, LeaderEpoch, Metadata, ErrorCode]], ErrorCode int16]

func (d *decoder) listOffsetsRequest() {
	d.Skip(4)
	if d.v >= 2 {
		d.Skip(1)
	}
	skip := 4 + 8
	if d.v >= 4 {
		skip += 4
	}
	if d.v == 0 {
		skip += 4
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicName(d.str())
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			d.Skip(skip)
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
	if d.v >= 10 {
		addInt(&d.m.Attrs, AttrTimeoutMs, int64(d.Int32()))
	}
	d.tags()
}

func (d *decoder) listOffsetsResponse() {
	if d.v >= 2 {
		d.throttleTime()
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicName(d.str())
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			d.Skip(4)
			d.errorCode()
			if d.v == 0 {
				d.skipArray(8)
			} else {
				d.Skip(16)
			}
			if d.v >= 4 {
				d.Skip(4)
			}
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
	d.tags()
}

func (d *decoder) offsetCommitRequest() {
	d.groupStr()
	if d.v >= 1 {
		d.generation()
		d.memberStr()
	}
	if d.v >= 7 {
		d.skipStr()
	}
	if d.v >= 2 && d.v <= 4 {
		d.Skip(8)
	}
	skip := 4 + 8
	if d.v == 1 {
		skip += 8
	}
	if d.v >= 6 {
		skip += 4
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicRef(10)
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			d.Skip(skip)
			d.skipStr()
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
	d.tags()
}

func (d *decoder) offsetCommitResponse() {
	if d.v >= 3 {
		d.throttleTime()
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicRef(10)
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			d.Skip(4)
			d.errorCode()
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
	d.tags()
}

// offsetFetchTopics reads the topics of an OffsetFetch request (names up to
// v9, ids from v10), each with a [int32] partition list.
func (d *decoder) offsetFetchTopics() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicRef(10)
		np := d.array()
		d.Skip(d.length(uint64(np) * 4))
		d.partitions += int64(np)
		d.tags()
	}
}

func (d *decoder) offsetFetchRequest() {
	if d.v <= 7 {
		d.groupStr()
		d.offsetFetchTopics()
	} else {
		ng := d.array()
		for i := 0; i < ng && d.ok(); i++ {
			g, _ := d.str()
			if i == 0 {
				d.group(g)
			}
			if d.v >= 9 {
				b, null := d.str()
				if i == 0 && !null {
					d.member(b)
				}
				d.Skip(4)
			}
			d.offsetFetchTopics()
			d.tags()
		}
	}
	if d.v >= 7 {
		d.Skip(1)
	}
	d.tags()
}

// offsetFetchRespTopics reads the topics of an OffsetFetch response.
func (d *decoder) offsetFetchRespTopics() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicRef(10)
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			d.Skip(4 + 8)
			if d.v >= 5 {
				d.Skip(4)
			}
			d.skipStr()
			d.errorCode()
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
}

func (d *decoder) offsetFetchResponse() {
	if d.v >= 3 {
		d.throttleTime()
	}
	if d.v <= 7 {
		d.offsetFetchRespTopics()
		if d.v >= 2 {
			d.errorCode()
		}
	} else {
		ng := d.array()
		for i := 0; i < ng && d.ok(); i++ {
			g, _ := d.str()
			if i == 0 {
				d.group(g)
			}
			d.offsetFetchRespTopics()
			d.errorCode()
			d.tags()
		}
	}
	d.tags()
}
