package kafka

// CreateTopics (19, v0-7, flexible from v5) and DeleteTopics (20, v0-6,
// flexible from v4; topics by name or id from v6).
//
//	CreateTopicsRequest: Topics [Topic string, NumPartitions int32,
//	  ReplicationFactor int16, ReplicaAssignment [Partition int32, Replicas
//	  [int32]], Configs [Name string, Value nullable-string]], TimeoutMillis
//	  int32, ValidateOnly bool (v1+)
//	CreateTopicsResponse: ThrottleMillis int32 (v2+), Topics [Topic string,
//	  TopicID uuid (v7+), ErrorCode int16, ErrorMessage nullable-string (v1+),
//	  NumPartitions int32 and ReplicationFactor int16 (v5+), Configs nullable
//	  [Name string, Value nullable-string, ReadOnly bool, Source int8,
//	  IsSensitive bool] (v5+)]
//	DeleteTopicsRequest: TopicNames [string] (v0-5), Topics [Topic
//	  nullable-string, TopicID uuid] (v6+), TimeoutMillis int32
//	DeleteTopicsResponse: ThrottleMillis int32 (v1+), Topics [Topic
//	  nullable-string, TopicID uuid (v6+), ErrorCode int16, ErrorMessage
//	  nullable-string (v5+)]
//
// CreateTopics responses from v7 pair names with ids: they fill the topic
// cache too.

func (d *decoder) createTopicsRequest() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicName(d.str())
		np := d.Int32()
		if np > 0 {
			d.partitions += int64(np)
		}
		d.Skip(2)
		na := d.array()
		for j := 0; j < na && d.ok(); j++ {
			d.Skip(4)
			d.skipArray(4)
			d.tags()
		}
		nc := d.array()
		for j := 0; j < nc && d.ok(); j++ {
			d.skipStr()
			d.skipStr()
			d.tags()
		}
		d.tags()
	}
	addInt(&d.m.Attrs, AttrTimeoutMs, int64(d.Int32()))
	if d.v >= 1 {
		d.Skip(1)
	}
	d.tags()
}

func (d *decoder) createTopicsResponse() {
	if d.v >= 2 {
		d.throttleTime()
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		name, null := d.str()
		d.topicName(name, null)
		if d.v >= 7 {
			id := d.uuid()
			if !null && d.ok() {
				d.c.cache.observe(id, name)
			}
		}
		d.errorCode()
		if d.v >= 1 {
			d.skipStr()
		}
		if d.v >= 5 {
			d.Skip(6)
			nc := d.array()
			for j := 0; j < nc && d.ok(); j++ {
				d.skipStr()
				d.skipStr()
				d.Skip(3)
				d.tags()
			}
		}
		d.tags()
	}
	d.tags()
}

func (d *decoder) deleteTopicsRequest() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		if d.v <= 5 {
			d.topicName(d.str())
			continue
		}
		d.topicName(d.str())
		d.topicID(d.uuid())
		d.tags()
	}
	addInt(&d.m.Attrs, AttrTimeoutMs, int64(d.Int32()))
	d.tags()
}

func (d *decoder) deleteTopicsResponse() {
	if d.v >= 1 {
		d.throttleTime()
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicName(d.str())
		if d.v >= 6 {
			d.topicID(d.uuid())
		}
		d.errorCode()
		if d.v >= 5 {
			d.skipStr()
		}
		d.tags()
	}
	d.tags()
}
