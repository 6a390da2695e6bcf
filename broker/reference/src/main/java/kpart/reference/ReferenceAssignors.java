package kpart.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.coordinator.group.api.assignor.ConsumerGroupPartitionAssignor;
import org.apache.kafka.coordinator.group.api.assignor.GroupAssignment;
import org.apache.kafka.coordinator.group.api.assignor.MemberAssignment;
import org.apache.kafka.coordinator.group.api.assignor.SubscribedTopicDescriber;
import org.apache.kafka.coordinator.group.api.assignor.SubscriptionType;
import org.apache.kafka.coordinator.group.assignor.UniformAssignor;
import org.apache.kafka.coordinator.group.modern.Assignment;
import org.apache.kafka.coordinator.group.modern.GroupSpecImpl;
import org.apache.kafka.coordinator.group.modern.MemberSubscriptionAndAssignmentImpl;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Runs Apache Kafka's own assignors on requests read as one JSON object per line from stdin and
 * answers one JSON object per line on stdout.
 *
 * <p>Client assignors ({@code range}, {@code roundrobin}, {@code sticky},
 * {@code cooperative-sticky}) are called as a Java group leader calls them: a {@link Cluster}
 * with one node per rack, and each member's {@link Subscription} as that member's consumer
 * builds it. A sticky member's previous assignment travels only in its user data, made by its own
 * {@link StickyAssignor} after {@code onAssignment}; a cooperative member sends owned partitions
 * and its generation in the subscription.
 *
 * <p>The broker's assignors ({@code uniform}, {@code server-range}) get the inputs the group
 * coordinator's {@code TargetAssignmentBuilder} gives them: a {@link GroupSpecImpl} over a
 * {@link HashMap} of member specs filled in request order, each holding its previous target
 * assignment built like {@code Assignment.fromRecord}; the subscription type computed like
 * {@code ModernGroup.subscriptionType}; and the inverted target assignment. Topic ids are
 * {@code Uuid(0, rank + 2)} where rank is the topic's position among the request's topic names
 * in sorted order, so that the Python ports can reproduce every {@code HashMap} iteration.
 *
 * <p>Request fields: {@code assignor} (or {@code op: "murmur2"} with {@code keys}: hex strings),
 * {@code topics}: [{name, partitions, racks?: [[rack, ...] per partition]}], {@code members}:
 * [{id, instance?, rack?, topics, owned?: [[topic, partition]], generation?}], {@code warmup}
 * and {@code repeat} (timed calls). Answer: {@code assignment} {member: [[topic, partition]]}
 * in the assignor's own order, {@code ns} (one duration per timed call), or {@code error}.
 */
public final class ReferenceAssignors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GROUP = "reference-group";

    private ReferenceAssignors() {
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            ObjectNode answer;
            try {
                answer = handle(JSON.readTree(line));
            } catch (Exception | StackOverflowError e) {
                answer = JSON.createObjectNode();
                String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                answer.put("error", e.getClass().getSimpleName() + ": " + message.replace('\n', ' '));
            }
            out.println(JSON.writeValueAsString(answer));
            out.flush();
        }
    }

    private static ObjectNode handle(JsonNode request) {
        if (request == null || !request.isObject()) throw new IllegalArgumentException("a request must be a JSON object");
        if ("murmur2".equals(request.path("op").asText())) return murmur2(request);
        String assignor = text(request, "assignor");
        Topics topics = Topics.parse(request);
        List<Member> members = new ArrayList<>();
        for (JsonNode m : array(request, "members")) members.add(Member.parse(m, topics));
        int warmup = request.path("warmup").asInt(0);
        int repeat = Math.max(1, request.path("repeat").asInt(1));
        Runner runner;
        switch (assignor) {
            case "range": runner = client(new RangeAssignor(), topics, members, false); break;
            case "roundrobin": runner = client(new RoundRobinAssignor(), topics, members, false); break;
            case "sticky": runner = client(new StickyAssignor(), topics, members, false); break;
            case "cooperative-sticky": runner = client(new CooperativeStickyAssignor(), topics, members, true); break;
            case "uniform": runner = server(new UniformAssignor(), topics, members); break;
            case "server-range":
                runner = server(new org.apache.kafka.coordinator.group.assignor.RangeAssignor(), topics, members);
                break;
            default:
                throw new IllegalArgumentException("unknown assignor '" + assignor
                    + "'; known: range, roundrobin, sticky, cooperative-sticky, uniform, server-range");
        }
        for (int i = 0; i < warmup; i++) {
            runner.prepare();
            runner.run();
        }
        ArrayNode ns = JSON.createArrayNode();
        Object computed = null;
        for (int i = 0; i < repeat; i++) {
            runner.prepare();
            long start = System.nanoTime();
            computed = runner.run();
            ns.add(System.nanoTime() - start);
        }
        Map<String, List<String[]>> result = runner.result(computed);
        ObjectNode answer = JSON.createObjectNode();
        ObjectNode assignment = answer.putObject("assignment");
        for (Member member : members) {
            ArrayNode tps = assignment.putArray(member.id);
            for (String[] tp : result.getOrDefault(member.id, List.of())) {
                tps.addArray().add(tp[0]).add(Integer.parseInt(tp[1]));
            }
        }
        answer.set("ns", ns);
        return answer;
    }

    /** One assignor call ({@code run}, the part that is timed) and the reading of its answer. */
    private interface Runner {
        /** Fresh inputs for the next call (an assignor consumes its members' user data buffers). */
        default void prepare() {
        }

        Object run();

        Map<String, List<String[]>> result(Object computed);
    }

    // ---- Java client assignors, called as a group leader calls them ----

    private static Runner client(ConsumerPartitionAssignor assignor, Topics topics, List<Member> members,
                                 boolean cooperative) {
        Cluster cluster = topics.cluster();
        Map<String, Subscription> subscriptions = new HashMap<>();
        for (Member member : members) {
            List<TopicPartition> owned = new ArrayList<>();
            for (String[] tp : member.owned) owned.add(new TopicPartition(tp[0], Integer.parseInt(tp[1])));
            ByteBuffer userData = null;
            if (assignor instanceof StickyAssignor && member.generation >= 0) {
                StickyAssignor own = new StickyAssignor();
                own.onAssignment(new ConsumerPartitionAssignor.Assignment(owned),
                    new ConsumerGroupMetadata(GROUP, member.generation, member.id, Optional.ofNullable(member.instance)));
                userData = own.subscriptionUserData(new HashSet<>(member.topics));
            } else if (assignor instanceof CooperativeStickyAssignor && member.generation >= 0) {
                CooperativeStickyAssignor own = new CooperativeStickyAssignor();
                own.onAssignment(new ConsumerPartitionAssignor.Assignment(owned),
                    new ConsumerGroupMetadata(GROUP, member.generation, member.id, Optional.ofNullable(member.instance)));
                userData = own.subscriptionUserData(new HashSet<>(member.topics));
            }
            // Java members send owned partitions only under the cooperative protocol.
            Subscription subscription = new Subscription(new ArrayList<>(member.topics), userData,
                cooperative ? owned : List.of(), member.generation, Optional.ofNullable(member.rack));
            subscription.setGroupInstanceId(Optional.ofNullable(member.instance));
            subscriptions.put(member.id, subscription);
        }
        return new Runner() {
            private GroupSubscription group;

            @Override
            public void prepare() {
                Map<String, Subscription> fresh = new HashMap<>();
                subscriptions.forEach((memberId, s) -> {
                    ByteBuffer data = s.userData() == null ? null : s.userData().duplicate();
                    Subscription copy = new Subscription(s.topics(), data, s.ownedPartitions(),
                        s.generationId().orElse(-1), s.rackId());
                    copy.setGroupInstanceId(s.groupInstanceId());
                    fresh.put(memberId, copy);
                });
                group = new GroupSubscription(fresh);
            }

            @Override
            public Object run() {
                ConsumerPartitionAssignor leader = assignor instanceof StickyAssignor ? new StickyAssignor()
                    : assignor instanceof CooperativeStickyAssignor ? new CooperativeStickyAssignor() : assignor;
                return leader.assign(cluster, group);
            }

            @Override
            public Map<String, List<String[]>> result(Object computed) {
                Map<String, List<String[]>> result = new HashMap<>();
                ((ConsumerPartitionAssignor.GroupAssignment) computed).groupAssignment().forEach((memberId, a) ->
                    result.put(memberId, a.partitions().stream()
                        .map(tp -> new String[]{tp.topic(), Integer.toString(tp.partition())})
                        .collect(Collectors.toList())));
                return result;
            }
        };
    }

    // ---- the broker's KIP-848 assignors, fed as TargetAssignmentBuilder feeds them ----

    private static Runner server(ConsumerGroupPartitionAssignor assignor, Topics topics, List<Member> members) {
        Map<String, MemberSubscriptionAndAssignmentImpl> specs = new HashMap<>();
        Map<Uuid, Map<Integer, String>> inverted = new HashMap<>();
        Map<String, Integer> subscriberCounts = new HashMap<>();
        for (Member member : members) {
            // Assignment.fromRecord: Collectors.toMap over the record's topics, new HashSet per topic.
            Map<Uuid, List<Integer>> byTopic = new LinkedHashMap<>();
            for (String[] tp : member.owned) {
                byTopic.computeIfAbsent(topics.id(tp[0]), k -> new ArrayList<>()).add(Integer.parseInt(tp[1]));
            }
            Map<Uuid, Set<Integer>> target = byTopic.entrySet().stream().collect(
                Collectors.toMap(Map.Entry::getKey, e -> new HashSet<>(e.getValue())));
            target.forEach((topicId, partitions) -> partitions.forEach(p ->
                inverted.computeIfAbsent(topicId, k -> new HashMap<>()).put(p, member.id)));
            // TopicIds: subscribed names that exist in the metadata, as ids.
            Set<Uuid> subscribed = new HashSet<>();
            for (String topic : member.topics) {
                subscriberCounts.merge(topic, 1, Integer::sum);
                if (topics.exists(topic)) subscribed.add(topics.id(topic));
            }
            specs.put(member.id, new MemberSubscriptionAndAssignmentImpl(Optional.ofNullable(member.rack),
                Optional.ofNullable(member.instance), Collections.unmodifiableSet(subscribed), new Assignment(target)));
        }
        SubscriptionType type = SubscriptionType.HOMOGENEOUS;
        for (int count : subscriberCounts.values()) {
            if (count != members.size()) type = SubscriptionType.HETEROGENEOUS;
        }
        GroupSpecImpl spec = new GroupSpecImpl(Collections.unmodifiableMap(specs), type, inverted);
        SubscribedTopicDescriber describer = topics.describer();
        return new Runner() {
            @Override
            public Object run() {
                return assignor.assign(spec, describer);
            }

            @Override
            public Map<String, List<String[]>> result(Object computed) {
                Map<String, List<String[]>> result = new HashMap<>();
                for (Map.Entry<String, MemberAssignment> e : ((GroupAssignment) computed).members().entrySet()) {
                    List<String[]> tps = new ArrayList<>();
                    e.getValue().partitions().forEach((topicId, partitions) -> {
                        for (int p : partitions) tps.add(new String[]{topics.name(topicId), Integer.toString(p)});
                    });
                    result.put(e.getKey(), tps);
                }
                return result;
            }
        };
    }

    private static ObjectNode murmur2(JsonNode request) {
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode hashes = answer.putArray("hashes");
        for (JsonNode key : array(request, "keys")) hashes.add(Utils.murmur2(hex(key.asText())));
        return answer;
    }

    // ---- request parsing ----

    private static final class Topics {
        final Map<String, Integer> counts = new TreeMap<>();
        final Map<String, List<List<String>>> racks = new HashMap<>();
        final Map<String, Uuid> ids = new HashMap<>();
        final Map<Uuid, String> names = new HashMap<>();

        static Topics parse(JsonNode request) {
            Topics topics = new Topics();
            for (JsonNode t : array(request, "topics")) {
                String name = text(t, "name");
                int partitions = t.path("partitions").asInt(-1);
                if (partitions < 0) throw new IllegalArgumentException("topic '" + name + "': 'partitions' must be >= 0");
                topics.counts.put(name, partitions);
                List<List<String>> perPartition = new ArrayList<>();
                for (JsonNode replicas : t.path("racks")) {
                    List<String> r = new ArrayList<>();
                    for (JsonNode rack : replicas) r.add(rack.asText());
                    perPartition.add(r);
                }
                if (!perPartition.isEmpty() && perPartition.size() != partitions) {
                    throw new IllegalArgumentException("topic '" + name + "': 'racks' needs one list per partition");
                }
                topics.racks.put(name, perPartition);
            }
            int rank = 0;
            for (String name : topics.counts.keySet()) {
                Uuid id = new Uuid(0L, rank + 2L);
                topics.ids.put(name, id);
                topics.names.put(id, name);
                rank++;
            }
            return topics;
        }

        boolean exists(String topic) {
            return counts.containsKey(topic);
        }

        Uuid id(String topic) {
            Uuid id = ids.get(topic);
            if (id == null) throw new IllegalArgumentException("unknown topic '" + topic + "' in owned partitions");
            return id;
        }

        String name(Uuid id) {
            return names.get(id);
        }

        Cluster cluster() {
            Map<String, Node> nodes = new TreeMap<>();
            for (List<List<String>> perPartition : racks.values()) {
                for (List<String> replicas : perPartition) {
                    for (String rack : replicas) nodes.computeIfAbsent(rack, r -> new Node(nodes.size(), "broker-" + r, 9092, r));
                }
            }
            Node plain = new Node(nodes.size(), "broker", 9092);
            List<PartitionInfo> partitions = new ArrayList<>();
            counts.forEach((topic, n) -> {
                List<List<String>> perPartition = racks.get(topic);
                for (int p = 0; p < n; p++) {
                    Node[] replicas;
                    if (perPartition.isEmpty()) {
                        replicas = new Node[]{plain};
                    } else {
                        replicas = perPartition.get(p).stream().map(nodes::get).toArray(Node[]::new);
                    }
                    Node leader = replicas.length > 0 ? replicas[0] : null;
                    partitions.add(new PartitionInfo(topic, p, leader, replicas, replicas));
                }
            });
            List<Node> all = new ArrayList<>(nodes.values());
            all.add(plain);
            return new Cluster("reference-cluster", all, partitions, Set.of(), Set.of());
        }

        SubscribedTopicDescriber describer() {
            return new SubscribedTopicDescriber() {
                @Override
                public int numPartitions(Uuid topicId) {
                    String name = names.get(topicId);
                    return name == null ? -1 : counts.get(name);
                }

                @Override
                public Set<String> racksForPartition(Uuid topicId, int partition) {
                    String name = names.get(topicId);
                    if (name == null || racks.get(name).isEmpty()) return Set.of();
                    return new TreeSet<>(racks.get(name).get(partition));
                }
            };
        }
    }

    private static final class Member {
        String id;
        String instance;
        String rack;
        List<String> topics = new ArrayList<>();
        List<String[]> owned = new ArrayList<>();
        int generation;

        static Member parse(JsonNode m, Topics topics) {
            Member member = new Member();
            member.id = text(m, "id");
            member.instance = m.hasNonNull("instance") ? m.get("instance").asText() : null;
            member.rack = m.hasNonNull("rack") ? m.get("rack").asText() : null;
            for (JsonNode t : array(m, "topics")) member.topics.add(t.asText());
            for (JsonNode tp : m.path("owned")) {
                if (!tp.isArray() || tp.size() != 2 || !tp.get(1).canConvertToInt()) {
                    throw new IllegalArgumentException("member '" + member.id + "': each owned partition is [topic, partition]");
                }
                member.owned.add(new String[]{tp.get(0).asText(), Integer.toString(tp.get(1).asInt())});
            }
            member.generation = m.path("generation").asInt(-1);
            return member;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) throw new IllegalArgumentException("missing text field '" + field + "'");
        return value.asText();
    }

    private static JsonNode array(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray()) throw new IllegalArgumentException("missing list field '" + field + "'");
        return value;
    }

    private static byte[] hex(String text) {
        if (text.length() % 2 != 0) throw new IllegalArgumentException("a key must be an even-length hex string");
        byte[] out = new byte[text.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        return out;
    }
}
