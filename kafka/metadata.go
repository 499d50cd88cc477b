package kafka

// Metadata (API key 3), versions 0-13, flexible from v9; topic ids from v10.
//
//	MetadataRequest: Topics [TopicID uuid (v10+), Topic nullable-string]
//	  (null from v1: all topics), AllowAutoTopicCreation bool (v4+),
//	  IncludeClusterAuthorizedOperations bool (v8-10),
//	  IncludeTopicAuthorizedOperations bool (v8+)
//	MetadataResponse: ThrottleMillis int32 (v3+), Brokers [NodeID int32, Host
//	  string, Port int32, Rack nullable-string (v1+)], ClusterID
//	  nullable-string (v2+), ControllerID int32 (v1+), Topics [ErrorCode int16,
//	  Topic nullable-string, TopicID uuid (v10+), IsInternal bool (v1+),
//	  Partitions [ErrorCode int16, Partition int32, Leader int32, LeaderEpoch
//	  int32 (v7+), Replicas [int32], ISR [int32], OfflineReplicas [int32]
//	  (v5+)], AuthorizedOperations int32 (v8+)], AuthorizedOperations int32
//	  (v8-10), ErrorCode int16 (v13+)
//
// Responses from v10 pair topic ids with names: they fill the topic cache.

func (d *decoder) metadataRequest() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		var id [16]byte
		if d.v >= 10 {
			id = d.uuid()
		}
		d.topicName(d.str())
		d.topicID(id)
		d.tags()
	}
	if d.v >= 4 {
		d.Skip(1)
	}
	if d.v >= 8 && d.v <= 10 {
		d.Skip(1)
	}
	if d.v >= 8 {
		d.Skip(1)
	}
	d.tags()
}

func (d *decoder) metadataResponse() {
	if d.v >= 3 {
		d.throttleTime()
	}
	nb := d.array()
	for i := 0; i < nb && d.ok(); i++ {
		d.Skip(4)
		d.skipStr()
		d.Skip(4)
		if d.v >= 1 {
			d.skipStr()
		}
		d.tags()
	}
	if d.v >= 2 {
		d.skipStr()
	}
	if d.v >= 1 {
		d.Skip(4)
	}
	fixed := 2 + 8
	if d.v >= 7 {
		fixed += 4
	}
	n := d.array()
	// One read lock over the whole topic array instead of one per topic:
	// a refresh of known topics (the steady state) then costs one lock
	// round trip per response.
	cache := d.c.cache
	if d.v >= 10 && n > 0 {
		cache.mu.RLock()
		d.cacheLocked = true
	}
	for i := 0; i < n && d.ok(); i++ {
		d.errorCode()
		name, null := d.str()
		d.topicName(name, null)
		if d.v >= 10 {
			id := d.uuid()
			d.topicID(id)
			if !null && d.ok() && id != ([16]byte{}) && len(name) > 0 {
				if old, ok := cache.names[id]; !ok || old != string(name) {
					cache.mu.RUnlock()
					cache.Store(id, string(name))
					cache.mu.RLock()
				}
			}
		}
		if d.v >= 1 {
			d.Skip(1)
		}
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			// ErrorCode, Partition, Leader, LeaderEpoch (v7+).
			d.errorCodeIn(fixed, 0)
			d.skipArray(4)
			d.skipArray(4)
			if d.v >= 5 {
				d.skipArray(4)
			}
			d.tags()
		}
		d.partitions += int64(np)
		if d.v >= 8 {
			d.Skip(4)
		}
		d.tags()
	}
	if d.cacheLocked {
		d.cacheLocked = false
		cache.mu.RUnlock()
	}
	if d.v >= 8 && d.v <= 10 {
		d.Skip(4)
	}
	if d.v >= 13 {
		d.errorCode()
	}
	d.tags()
}
