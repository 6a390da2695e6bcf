package kpart.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupAssignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One soak consumer-group member on the Java client, in its own JVM:
 * {@code java -cp ... kpart.reference.SoakConsumer CFG}.
 *
 * <p>{@code CFG} is the JSON object the Python soak members get ({@code bootstrap},
 * {@code group}, {@code name}, {@code instance_id}, {@code strategy}, {@code rack},
 * {@code topic}, {@code log}, {@code stop}). The strategy is Java's own assignor of that protocol
 * name ({@link RangeAssignor}, {@link RoundRobinAssignor}, {@link StickyAssignor},
 * {@link CooperativeStickyAssignor}), subclassed only to note that this member ran it as leader.
 * Classic protocol; offsets committed synchronously on revocation and on leaving, and every
 * second asynchronously (a synchronous commit would block the poll loop for up to
 * {@code default.api.timeout.ms} while the coordinator is down, past {@code max.poll.interval.ms}),
 * never automatically.
 *
 * <p>The log has the events of the Python members, one JSON object per line, flushed at once:
 * {@code start}, {@code own} ({@code add} / {@code remove} with {@code committed} /
 * {@code lost}, {@code parts}, {@code gen}), {@code led}, {@code read} ({@code [partition,
 * offset, value]} each, logged before their offsets are committed), {@code commit} failures,
 * {@code poll_error}, {@code closed}. {@code t} is {@link System#nanoTime()} in seconds, which
 * on Linux is CLOCK_MONOTONIC, the clock of Python's {@code time.monotonic()}.
 */
public final class SoakConsumer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicBoolean LED = new AtomicBoolean(false);
    private static final long COMMIT_INTERVAL_NS = 1_000_000_000L;

    /** Java's range assignor, noting leadership. */
    public static final class Range extends RangeAssignor {
        @Override
        public GroupAssignment assign(Cluster metadata, GroupSubscription subscriptions) {
            LED.set(true);
            return super.assign(metadata, subscriptions);
        }
    }

    /** Java's round-robin assignor, noting leadership. */
    public static final class RoundRobin extends RoundRobinAssignor {
        @Override
        public GroupAssignment assign(Cluster metadata, GroupSubscription subscriptions) {
            LED.set(true);
            return super.assign(metadata, subscriptions);
        }
    }

    /** Java's eager sticky assignor, noting leadership. */
    public static final class Sticky extends StickyAssignor {
        @Override
        public GroupAssignment assign(Cluster metadata, GroupSubscription subscriptions) {
            LED.set(true);
            return super.assign(metadata, subscriptions);
        }
    }

    /** Java's cooperative-sticky assignor, noting leadership. */
    public static final class CooperativeSticky extends CooperativeStickyAssignor {
        @Override
        public GroupAssignment assign(Cluster metadata, GroupSubscription subscriptions) {
            LED.set(true);
            return super.assign(metadata, subscriptions);
        }
    }

    static final Map<String, Class<?>> ASSIGNORS = Map.of(
        "range", Range.class,
        "roundrobin", RoundRobin.class,
        "sticky", Sticky.class,
        "cooperative-sticky", CooperativeSticky.class);

    /** The event log: JSON lines, each flushed when written. */
    static final class EventLog {
        private final OutputStream out;

        EventLog(String path) throws IOException {
            out = new FileOutputStream(path, true);
        }

        synchronized void write(String event, Object... fields) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("ev", event);
            line.put("t", System.nanoTime() / 1e9);
            for (int i = 0; i < fields.length; i += 2) {
                line.put((String) fields[i], fields[i + 1]);
            }
            try {
                out.write((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new KafkaException("cannot write the soak log", e);
            }
        }

        synchronized void close() throws IOException {
            out.close();
        }
    }

    private final JsonNode cfg;
    private final String topic;
    private final EventLog log;
    private final KafkaConsumer<String, String> consumer;
    private final Map<Integer, Long> positions = new HashMap<>();

    private SoakConsumer(JsonNode cfg) throws IOException {
        this.cfg = cfg;
        this.topic = cfg.get("topic").asText();
        this.log = new EventLog(cfg.get("log").asText());
        String strategy = cfg.get("strategy").asText();
        Class<?> assignor = ASSIGNORS.get(strategy);
        if (assignor == null) {
            throw new IllegalArgumentException("the Java client has no assignor '" + strategy + "'; it has "
                + new TreeSet<>(ASSIGNORS.keySet()));
        }
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.get("bootstrap").asText());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, cfg.get("group").asText());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, cfg.get("name").asText());
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.getName());
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, cfg.get("session_timeout_ms").asInt());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, cfg.get("heartbeat_interval_ms").asInt());
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, cfg.get("max_poll_interval_ms").asInt());
        props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, cfg.get("metadata_max_age_ms").asInt());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        if (cfg.hasNonNull("instance_id")) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, cfg.get("instance_id").asText());
        }
        if (cfg.hasNonNull("rack")) {
            props.put(ConsumerConfig.CLIENT_RACK_CONFIG, cfg.get("rack").asText());
        }
        this.consumer = new KafkaConsumer<>(props);
    }

    private int generation() {
        return consumer.groupMetadata().generationId();
    }

    private static List<Integer> partitions(Collection<TopicPartition> tps) {
        List<Integer> out = new ArrayList<>();
        for (TopicPartition tp : tps) {
            out.add(tp.partition());
        }
        out.sort(null);
        return out;
    }

    /** Commit what was processed of {@code parts}; false (and a {@code commit} event) on failure. */
    private boolean commit(Collection<Integer> parts) {
        return commit(parts, false);
    }

    private boolean commit(Collection<Integer> parts, boolean async) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (int p : parts) {
            Long next = positions.get(p);
            if (next != null) {
                offsets.put(new TopicPartition(topic, p), new OffsetAndMetadata(next));
            }
        }
        if (offsets.isEmpty()) {
            return true;
        }
        try {
            if (async) {
                consumer.commitAsync(offsets, (committed, e) -> {
                    if (e != null) {
                        log.write("commit", "ok", false, "parts", partitions(committed.keySet()),
                            "err", e.getClass().getSimpleName());
                    }
                });
            } else {
                consumer.commitSync(offsets);
            }
            return true;
        } catch (KafkaException e) {
            log.write("commit", "ok", false, "parts", partitions(offsets.keySet()),
                "err", e.getClass().getSimpleName());
            return false;
        }
    }

    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            List<Integer> parts = partitions(revoked);
            boolean ok = commit(parts);
            log.write("own", "op", "remove", "parts", parts, "gen", generation(), "committed", ok);
            parts.forEach(positions::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            if (LED.getAndSet(false)) {
                log.write("led", "gen", generation());
            }
            log.write("own", "op", "add", "parts", partitions(assigned), "gen", generation());
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            List<Integer> parts = partitions(lost);
            log.write("own", "op", "lost", "parts", parts, "gen", generation());
            parts.forEach(positions::remove);
        }
    }

    private void run(AtomicBoolean stopping) throws IOException {
        Path stop = Path.of(cfg.get("stop").asText());
        consumer.subscribe(List.of(topic), new Listener());
        long lastCommit = System.nanoTime();
        try {
            while (!stopping.get() && !Files.exists(stop)) {
                List<List<Object>> recs = new ArrayList<>();
                try {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        recs.add(List.of(r.partition(), r.offset(), r.value()));
                        positions.put(r.partition(), r.offset() + 1);
                    }
                } catch (WakeupException e) {
                    continue;
                } catch (KafkaException e) {
                    String err = e.getClass().getSimpleName() + ": " + e.getMessage();
                    log.write("poll_error", "err", err.substring(0, Math.min(200, err.length())));
                    continue;
                }
                if (!recs.isEmpty()) {
                    log.write("read", "recs", recs);
                }
                if (System.nanoTime() - lastCommit >= COMMIT_INTERVAL_NS) {
                    commit(partitions(consumer.assignment()), true);
                    lastCommit = System.nanoTime();
                }
            }
            List<Integer> owned = partitions(consumer.assignment());
            boolean ok = commit(owned);
            log.write("own", "op", "remove", "parts", owned, "gen", generation(), "committed", ok);
            positions.clear();  // close() revokes again: nothing left to commit
        } finally {
            consumer.close();
            log.write("closed");
            log.close();
        }
    }

    public static void main(String[] args) throws Exception {
        SoakConsumer member = new SoakConsumer(JSON.readTree(args[0]));
        member.log.write("start", "pid", ProcessHandle.current().pid());
        AtomicBoolean stopping = new AtomicBoolean(false);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {  // SIGTERM: leave cleanly
            stopping.set(true);
            member.consumer.wakeup();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try {
            member.run(stopping);
        } finally {
            done.countDown();
        }
    }
}
