#!/usr/bin/env bash
# Apache Kafka 4.4 in KRaft mode, single node, from Maven Central jars on the machine's Java 17.
# Usage: kafka.sh start|stop|status|tool <class> [args...]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name=kafka
libdir="$SUNSU_CACHE/kafka-$KAFKA_VERSION/lib"
datadir="$SUNSU_DATA/kafka"
conf="$SUNSU_RUN/kafka-server.properties"

install_jars() {
  [ -f "$libdir/.complete" ] && return 0
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $libdir"
  rm -rf "$libdir"; mkdir -p "$libdir"
  mvn -q -B -f "$SUNSU_ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libdir" -DincludeScope=runtime >"$SUNSU_LOGS/kafka-mvn.log" 2>&1 \
    || die "maven failed, see $SUNSU_LOGS/kafka-mvn.log"
  touch "$libdir/.complete"
  log "$(ls "$libdir" | wc -l) jars"
}

write_config() {
  # A second listener on the node address for the local cluster's pods, advertised with that address.
  local nodeip listeners advertised protocols
  nodeip="$(server_node_address)"
  listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
  advertised="PLAINTEXT://127.0.0.1:$KAFKA_PORT"
  protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [ -n "$nodeip" ]; then
    listeners="$listeners,NODE://$nodeip:$KAFKA_NODE_PORT"; advertised="$advertised,NODE://$nodeip:$KAFKA_NODE_PORT"
    protocols="$protocols,NODE:PLAINTEXT"
  fi
  cat >"$conf" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
inter.broker.listener.name=PLAINTEXT
log.dirs=$datadir
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
CONF
}

kjava() { java -Xms256m -Xmx768m -Dlog4j2.configurationFile="$SUNSU_ROOT/infra/kafka/log4j2.properties" -cp "$libdir/*" "$@"; }

case "${1:-start}" in
  start)
    install_jars
    if is_running $name; then log "$name already running on :$KAFKA_PORT"; exit 0; fi
    write_config
    if [ ! -f "$datadir/meta.properties" ]; then
      mkdir -p "$datadir"
      id="$(kjava kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
      kjava kafka.tools.StorageTool format --standalone -t "$id" -c "$conf" >>"$SUNSU_LOGS/$name.log" 2>&1 \
        || die "kafka storage format failed, see $SUNSU_LOGS/$name.log"
    fi
    nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Dlog4j2.configurationFile="$SUNSU_ROOT/infra/kafka/log4j2.properties" \
      -cp "$libdir/*" kafka.Kafka "$conf" >>"$SUNSU_LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$(pidfile $name)"
    wait_for $name 60 port_open "$KAFKA_PORT" || die "kafka did not open :$KAFKA_PORT"
    # The port opens before the group/transaction coordinators finish loading: wait for a real round trip.
    use_project_node
    node "$SUNSU_ROOT/infra/kafka-ready.mjs" "127.0.0.1:$KAFKA_PORT" 90 >>"$SUNSU_LOGS/$name.log" 2>&1 \
      || { tail -n 20 "$SUNSU_LOGS/$name.log" >&2; die "kafka coordinators not ready"; }
    log "$name ready on 127.0.0.1:$KAFKA_PORT (Kafka $KAFKA_VERSION, KRaft)"
    ;;
  stop) stop_pid $name 30; release_node_address_if_unused ;;
  status) is_running $name && echo "$name: running on 127.0.0.1:$KAFKA_PORT" || echo "$name: stopped" ;;
  tool) shift; install_jars; kjava "$@" ;;
  *) die "usage: $0 start|stop|status|tool <class> [args]" ;;
esac
