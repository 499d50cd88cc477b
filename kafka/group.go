package kafka

// Group APIs: FindCoordinator (10, v0-6, flexible from v3), JoinGroup (11,
// v0-9, flexible from v6), Heartbeat (12, v0-4, flexible v4), LeaveGroup
// (13, v0-5, flexible from v4), SyncGroup (14, v0-5, flexible from v4),
// DescribeGroups (15, v0-6, flexible from v5), ListGroups (16, v0-5,
// flexible from v3).
//
//	FindCoordinatorRequest: CoordinatorKey string (v0-3), CoordinatorType
//	  int8 (v1+), CoordinatorKeys [string] (v4+)
//	FindCoordinatorResponse: ThrottleMillis int32 (v1+); v0-3: ErrorCode
//	  int16, ErrorMessage nullable-string (v1+), NodeID int32, Host string,
//	  Port int32; v4+: Coordinators [Key string, NodeID int32, Host string,
//	  Port int32, ErrorCode int16, ErrorMessage nullable-string]
//	JoinGroupRequest: Group string, SessionTimeoutMillis int32,
//	  RebalanceTimeoutMillis int32 (v1+), MemberID string, InstanceID
//	  nullable-string (v5+), ProtocolType string, Protocols [Name string,
//	  Metadata bytes], Reason nullable-string (v8+)
//	JoinGroupResponse: ThrottleMillis int32 (v2+), ErrorCode int16,
//	  Generation int32, ProtocolType nullable-string (v7+), Protocol
//	  nullable-string, LeaderID string, SkipAssignment bool (v9+), MemberID
//	  string, Members [MemberID string, InstanceID nullable-string (v5+),
//	  ProtocolMetadata bytes]
//	HeartbeatRequest: Group string, Generation int32, MemberID string,
//	  InstanceID nullable-string (v3+)
//	HeartbeatResponse: ThrottleMillis int32 (v1+), ErrorCode int16
//	LeaveGroupRequest: Group string, MemberID string (v0-2), Members
//	  [MemberID string, InstanceID nullable-string, Reason nullable-string
//	  (v5+)] (v3+)
//	LeaveGroupResponse: ThrottleMillis int32 (v1+), ErrorCode int16, Members
//	  [MemberID string, InstanceID nullable-string, ErrorCode int16] (v3+)
//	SyncGroupRequest: Group string, Generation int32, MemberID string,
//	  InstanceID nullable-string (v3+), ProtocolType and Protocol
//	  nullable-string (v5+), GroupAssignment [MemberID string,
//	  MemberAssignment bytes]
//	SyncGroupResponse: ThrottleMillis int32 (v1+), ErrorCode int16,
//	  ProtocolType and Protocol nullable-string (v5+), MemberAssignment bytes
//	DescribeGroupsRequest: Groups [string], IncludeAuthorizedOperations bool
//	  (v3+)
//	DescribeGroupsResponse: ThrottleMillis int32 (v1+), Groups [ErrorCode
//	  int16, ErrorMessage nullable-string (v6+), Group string, State string,
//	  ProtocolType string, Protocol string, Members [MemberID string,
//	  InstanceID nullable-string (v4+), ClientID string, ClientHost string,
//	  ProtocolMetadata bytes, MemberAssignment bytes], AuthorizedOperations
//	  int32 (v3+)]
//	ListGroupsRequest: StatesFilter [string] (v4+), TypesFilter [string] (v5+)
//	ListGroupsResponse: ThrottleMillis int32 (v1+), ErrorCode int16, Groups
//	  [Group string, ProtocolType string, GroupState string (v4+), GroupType
//	  string (v5+)]

// coordinator reports a FindCoordinator key: its type says whether it is a
// group id (0) or a transactional id (1).
func (d *decoder) coordinator(key []byte, typ int8) {
	a := &d.m.Attrs
	addBytes(a, AttrCoordinatorKey, key)
	addInt(a, AttrCoordinatorType, int64(typ))
	switch typ {
	case 0:
		d.group(key)
	case 1:
		addBytes(a, AttrTransactionalID, key)
	}
}

func (d *decoder) findCoordinatorRequest() {
	var key []byte
	var typ int8
	if d.v <= 3 {
		key, _ = d.str()
	}
	if d.v >= 1 {
		typ = d.Int8()
	}
	if d.v >= 4 {
		n := d.array()
		for i := 0; i < n && d.ok(); i++ {
			k, _ := d.str()
			if i == 0 {
				key = k
			}
		}
		if n == 0 {
			key = nil
		}
	}
	d.tags()
	if d.ok() && (d.v <= 3 || key != nil) {
		d.coordinator(key, typ)
	}
}

func (d *decoder) findCoordinatorResponse() {
	if d.v >= 1 {
		d.throttleTime()
	}
	if d.v <= 3 {
		d.errorCode()
		if d.v >= 1 {
			d.skipStr()
		}
		d.Skip(4)
		d.skipStr()
		d.Skip(4)
	} else {
		n := d.array()
		for i := 0; i < n && d.ok(); i++ {
			d.skipStr()
			d.Skip(4)
			d.skipStr()
			d.Skip(4)
			d.errorCode()
			d.skipStr()
			d.tags()
		}
	}
	d.tags()
}

func (d *decoder) joinGroupRequest() {
	d.groupStr()
	d.Skip(4)
	if d.v >= 1 {
		d.Skip(4)
	}
	d.memberStr()
	if d.v >= 5 {
		d.skipStr()
	}
	d.skipStr()
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.skipStr()
		d.bytes()
		d.tags()
	}
	if d.v >= 8 {
		d.skipStr()
	}
	d.tags()
}

func (d *decoder) joinGroupResponse() {
	if d.v >= 2 {
		d.throttleTime()
	}
	d.errorCode()
	d.generation()
	if d.v >= 7 {
		d.skipStr()
	}
	d.skipStr()
	d.skipStr()
	if d.v >= 9 {
		d.Skip(1)
	}
	d.memberStr()
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.skipStr()
		if d.v >= 5 {
			d.skipStr()
		}
		d.bytes()
		d.tags()
	}
	d.tags()
}

func (d *decoder) heartbeatRequest() {
	d.groupStr()
	d.generation()
	d.memberStr()
	if d.v >= 3 {
		d.skipStr()
	}
	d.tags()
}

// errorOnlyResponse is the body of responses that are a throttle time (from
// version throttleFrom) and an error code.
func (d *decoder) errorOnlyResponse(throttleFrom int16) {
	if d.v >= throttleFrom {
		d.throttleTime()
	}
	d.errorCode()
}

func (d *decoder) heartbeatResponse() {
	d.errorOnlyResponse(1)
	d.tags()
}

func (d *decoder) leaveGroupRequest() {
	d.groupStr()
	if d.v <= 2 {
		d.memberStr()
	} else {
		n := d.array()
		for i := 0; i < n && d.ok(); i++ {
			b, _ := d.str()
			if i == 0 {
				d.member(b)
			}
			d.skipStr()
			if d.v >= 5 {
				d.skipStr()
			}
			d.tags()
		}
	}
	d.tags()
}

func (d *decoder) leaveGroupResponse() {
	d.errorOnlyResponse(1)
	if d.v >= 3 {
		n := d.array()
		for i := 0; i < n && d.ok(); i++ {
			d.skipStr()
			d.skipStr()
			d.errorCode()
			d.tags()
		}
	}
	d.tags()
}

func (d *decoder) syncGroupRequest() {
	d.groupStr()
	d.generation()
	d.memberStr()
	if d.v >= 3 {
		d.skipStr()
	}
	if d.v >= 5 {
		d.skipStr()
		d.skipStr()
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.skipStr()
		d.bytes()
		d.tags()
	}
	d.tags()
}

func (d *decoder) syncGroupResponse() {
	d.errorOnlyResponse(1)
	if d.v >= 5 {
		d.skipStr()
		d.skipStr()
	}
	d.bytes()
	d.tags()
}

func (d *decoder) describeGroupsRequest() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		g, _ := d.str()
		if i == 0 {
			d.group(g)
		}
	}
	if d.v >= 3 {
		d.Skip(1)
	}
	d.tags()
}

func (d *decoder) describeGroupsResponse() {
	if d.v >= 1 {
		d.throttleTime()
	}
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.errorCode()
		if d.v >= 6 {
			d.skipStr()
		}
		g, _ := d.str()
		if i == 0 {
			d.group(g)
		}
		d.skipStr()
		d.skipStr()
		d.skipStr()
		nm := d.array()
		for j := 0; j < nm && d.ok(); j++ {
			d.skipStr()
			if d.v >= 4 {
				d.skipStr()
			}
			d.skipStr()
			d.skipStr()
			d.bytes()
			d.bytes()
			d.tags()
		}
		if d.v >= 3 {
			d.Skip(4)
		}
		d.tags()
	}
	d.tags()
}

func (d *decoder) listGroupsRequest() {
	if d.v >= 4 {
		d.skipStrings()
	}
	if d.v >= 5 {
		d.skipStrings()
	}
	d.tags()
}

func (d *decoder) listGroupsResponse() {
	d.errorOnlyResponse(1)
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		g, _ := d.str()
		if i == 0 {
			d.group(g)
		}
		d.skipStr()
		if d.v >= 4 {
			d.skipStr()
		}
		if d.v >= 5 {
			d.skipStr()
		}
		d.tags()
	}
	d.tags()
}
