package kafka

// Transaction APIs: InitProducerId (22, v0-5, flexible from v2),
// AddPartitionsToTxn (24, v0-5, flexible from v3, batched from v4), EndTxn
// (26, v0-5, flexible from v3).
//
//	InitProducerIdRequest: TransactionalID nullable-string,
//	  TransactionTimeoutMillis int32, ProducerID int64 and ProducerEpoch int16
//	  (v3+)
//	InitProducerIdResponse: ThrottleMillis int32, ErrorCode int16, ProducerID
//	  int64, ProducerEpoch int16
//	AddPartitionsToTxnRequest: v0-3: TransactionalID string, ProducerID
//	  int64, ProducerEpoch int16, Topics [Topic string, Partitions [int32]];
//	  v4+: Transactions [TransactionalID string, ProducerID int64,
//	  ProducerEpoch int16, VerifyOnly bool, Topics [Topic, Partitions [int32]]]
//	AddPartitionsToTxnResponse: ThrottleMillis int32, ErrorCode int16 (v4+),
//	  Transactions [TransactionalID string, Topics [Topic, Partitions
//	  [Partition int32, ErrorCode int16]]] (v4+), Topics [Topic, Partitions
//	  [Partition int32, ErrorCode int16]] (v0-3)
//	EndTxnRequest: TransactionalID string, ProducerID int64, ProducerEpoch
//	  int16, Commit bool
//	EndTxnResponse: ThrottleMillis int32, ErrorCode int16, ProducerID int64
//	  and ProducerEpoch int16 (v5+)

func (d *decoder) producerID() {
	addInt(&d.m.Attrs, AttrProducerID, d.Int64())
}

func (d *decoder) initProducerIDRequest() {
	d.txnID(d.str())
	addInt(&d.m.Attrs, AttrTimeoutMs, int64(d.Int32()))
	if d.v >= 3 {
		d.producerID()
		d.Skip(2)
	}
	d.tags()
}

func (d *decoder) initProducerIDResponse() {
	d.throttleTime()
	d.errorCode()
	d.producerID()
	d.Skip(2)
	d.tags()
}

// txnTopics reads [Topic string, Partitions [int32]].
func (d *decoder) txnTopics() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicName(d.str())
		np := d.array()
		d.Skip(d.length(uint64(np) * 4))
		d.partitions += int64(np)
		d.tags()
	}
}

// txnRespTopics reads [Topic, Partitions [Partition int32, ErrorCode int16]].
func (d *decoder) txnRespTopics() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.topicName(d.str())
		np := d.array()
		for j := 0; j < np && d.ok(); j++ {
			d.Skip(4)
			d.errorCode()
			d.tags()
		}
		d.partitions += int64(np)
		d.tags()
	}
}

func (d *decoder) addPartitionsToTxnRequest() {
	if d.v <= 3 {
		d.txnID(d.str())
		d.producerID()
		d.Skip(2)
		d.txnTopics()
	} else {
		n := d.array()
		for i := 0; i < n && d.ok(); i++ {
			b, null := d.str()
			if i == 0 {
				d.txnID(b, null)
				d.producerID()
			} else {
				d.Skip(8)
			}
			d.Skip(3)
			d.txnTopics()
			d.tags()
		}
	}
	d.tags()
}

func (d *decoder) addPartitionsToTxnResponse() {
	d.throttleTime()
	if d.v >= 4 {
		d.errorCode()
		n := d.array()
		for i := 0; i < n && d.ok(); i++ {
			b, null := d.str()
			if i == 0 {
				d.txnID(b, null)
			}
			d.txnRespTopics()
			d.tags()
		}
	} else {
		d.txnRespTopics()
	}
	d.tags()
}

func (d *decoder) endTxnRequest() {
	d.txnID(d.str())
	d.producerID()
	d.Skip(2)
	addBool(&d.m.Attrs, AttrCommit, d.Bool())
	d.tags()
}

func (d *decoder) endTxnResponse() {
	d.errorOnlyResponse(0)
	if d.v >= 5 {
		d.producerID()
		d.Skip(2)
	}
	d.tags()
}
