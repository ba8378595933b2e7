package mm2e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Test helper for the mm2gen end-to-end test: talks to the Kafka clusters with kafka-clients and prints one JSON
 * document on stdout. Every subcommand takes one argument, a JSON spec file, so that the Python side starts as few
 * JVMs as possible (waits/polls happen inside the JVM, bounded by the spec's timeoutMs).
 *
 * <pre>
 *   setup  SPEC   create topics (with configs), produce keyed records deterministically, create ACLs,
 *                 commit consumer-group offsets part-way
 *   verify SPEC   wait (bounded) until MM2 replicated, then compare every record per partition source vs target,
 *                 describe topic configs, ACLs, topics, consumer-group offsets, resume a consumer on the target
 *   produce SPEC  (bench) produce N records as fast as possible, report timings
 *   watch SPEC    (bench) poll the end offsets of a topic until N records are visible, report timings
 * </pre>
 */
public final class Helper {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Helper setup|verify|produce|watch SPEC.json");
            System.exit(2);
        }
        JsonNode spec = JSON.readTree(new File(args[1]));
        ObjectNode out;
        switch (args[0]) {
            case "setup": out = setup(spec); break;
            case "verify": out = verify(spec); break;
            case "produce": out = produce(spec); break;
            case "watch": out = watch(spec); break;
            default:
                System.err.println("unknown subcommand " + args[0]);
                System.exit(2);
                return;
        }
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        System.out.flush();
        // kafka-clients threads are closed, but do not wait on anything else
        System.exit(0);
    }

    // ------------------------------------------------------------------ client configs

    private static Properties clientProps(JsonNode cluster) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.get("bootstrap").asText());
        JsonNode props = cluster.get("props");
        if (props != null) {
            props.fields().forEachRemaining(e -> p.put(e.getKey(), e.getValue().asText()));
        }
        return p;
    }

    private static Admin admin(JsonNode cluster) {
        Properties p = clientProps(cluster);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        return Admin.create(p);
    }

    private static KafkaConsumer<byte[], byte[]> consumer(JsonNode cluster, String groupId) {
        Properties p = clientProps(cluster);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        if (groupId != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        return new KafkaConsumer<>(p);
    }

    private static KafkaProducer<byte[], byte[]> producer(JsonNode cluster) {
        Properties p = clientProps(cluster);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Not idempotent: on a loaded 2-core machine a single-node KRaft broker was seen to leave an
        // idempotent producer retrying OUT_OF_ORDER_SEQUENCE_NUMBER forever. One request in
        // flight keeps per-partition order; a duplicate after a retry is harmless because the
        // checks compare the target with what the source actually holds.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "131072");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        return new KafkaProducer<>(p);
    }

    // ------------------------------------------------------------------ deterministic records

    static byte[] key(String topic, long i, int keys) {
        return (topic + "-key-" + (i % keys)).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] value(String topic, long i, int valueBytes) {
        StringBuilder sb = new StringBuilder(Math.max(valueBytes, 32));
        sb.append(topic).append('|').append(i).append('|');
        long x = i * 6364136223846793005L + 1442695040888963407L;
        while (sb.length() < valueBytes) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            sb.append((char) ('a' + (int) ((x >>> 33) % 26)));
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static long produceRecords(KafkaProducer<byte[], byte[]> producer, String topic, long count, int keys,
                                       int valueBytes) throws Exception {
        AtomicReference<Exception> failure = new AtomicReference<>();
        for (long i = 0; i < count; i++) {
            ProducerRecord<byte[], byte[]> rec =
                new ProducerRecord<>(topic, null, key(topic, i, keys), value(topic, i, valueBytes));
            rec.headers().add("seq", Long.toString(i).getBytes(StandardCharsets.UTF_8));
            producer.send(rec, (md, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
            });
            if (failure.get() != null) {
                break;
            }
        }
        producer.flush();
        if (failure.get() != null) {
            throw failure.get();
        }
        return count;
    }

    // ------------------------------------------------------------------ setup

    private static ObjectNode setup(JsonNode spec) throws Exception {
        JsonNode cluster = spec.get("cluster");
        ObjectNode out = JSON.createObjectNode();
        try (Admin admin = admin(cluster)) {
            // topics
            List<NewTopic> newTopics = new ArrayList<>();
            for (JsonNode t : iter(spec.get("topics"))) {
                NewTopic nt = new NewTopic(t.get("name").asText(), t.get("partitions").asInt(), (short) 1);
                Map<String, String> configs = new HashMap<>();
                if (t.has("configs")) {
                    t.get("configs").fields().forEachRemaining(e -> configs.put(e.getKey(), e.getValue().asText()));
                }
                nt.configs(configs);
                newTopics.add(nt);
            }
            if (!newTopics.isEmpty()) {
                admin.createTopics(newTopics).all().get();
                waitTopicsReady(admin, newTopics.stream().map(NewTopic::name).toList());
            }

            // records
            try (KafkaProducer<byte[], byte[]> producer = producer(cluster)) {
                for (JsonNode t : iter(spec.get("topics"))) {
                    long n = t.path("records").asLong(0);
                    if (n > 0) {
                        produceRecords(producer, t.get("name").asText(), n, t.path("keys").asInt(97),
                            t.path("valueBytes").asInt(64));
                    }
                }
            }

            // ACLs
            List<AclBinding> acls = new ArrayList<>();
            for (JsonNode a : iter(spec.get("acls"))) {
                acls.add(aclFromJson(a));
            }
            if (!acls.isEmpty()) {
                admin.createAcls(acls).all().get();
            }

            // consumer group offsets, committed part-way
            ObjectNode groupsOut = out.putObject("groups");
            for (JsonNode g : iter(spec.get("groups"))) {
                String topic = g.get("topic").asText();
                double fraction = g.get("fraction").asDouble();
                Map<TopicPartition, Long> ends = endOffsets(admin, List.of(topic));
                Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
                for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                    commit.put(e.getKey(), new OffsetAndMetadata((long) Math.floor(e.getValue() * fraction)));
                }
                admin.alterConsumerGroupOffsets(g.get("group").asText(), commit).all().get();
                ObjectNode go = groupsOut.has(g.get("group").asText())
                    ? (ObjectNode) groupsOut.get(g.get("group").asText())
                    : groupsOut.putObject(g.get("group").asText());
                commit.forEach((tp, om) -> go.put(tp.toString(), om.offset()));
            }

            ObjectNode topicsOut = out.putObject("topics");
            List<String> names = newTopics.stream().map(NewTopic::name).toList();
            if (!names.isEmpty()) {
                Map<TopicPartition, Long> ends = endOffsets(admin, names);
                for (String name : names) {
                    topicsOut.set(name, offsetsArray(ends, name));
                }
            }
        }
        return out;
    }

    private static AclBinding aclFromJson(JsonNode a) {
        return new AclBinding(
            new ResourcePattern(ResourceType.fromString(a.get("resourceType").asText()), a.get("name").asText(),
                PatternType.fromString(a.path("patternType").asText("LITERAL"))),
            new AccessControlEntry(a.get("principal").asText(), a.path("host").asText("*"),
                AclOperation.fromString(a.get("operation").asText()),
                AclPermissionType.fromString(a.path("permission").asText("ALLOW"))));
    }

    private static void waitTopicsReady(Admin admin, Collection<String> topics) throws Exception {
        long deadline = System.currentTimeMillis() + 30000;
        while (true) {
            try {
                Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get();
                boolean ok = d.values().stream().allMatch(td -> td.partitions().stream().allMatch(p -> p.leader() != null));
                if (ok) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("topics not ready: " + topics);
            }
            Thread.sleep(100);
        }
    }

    // ------------------------------------------------------------------ offsets helpers

    private static Map<TopicPartition, Long> endOffsets(Admin admin, Collection<String> topics) throws Exception {
        return listOffsets(admin, topics, OffsetSpec.latest());
    }

    private static Map<TopicPartition, Long> listOffsets(Admin admin, Collection<String> topics, OffsetSpec spec)
            throws Exception {
        Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get();
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        d.forEach((name, td) -> td.partitions().forEach(p -> req.put(new TopicPartition(name, p.partition()), spec)));
        Map<TopicPartition, Long> res = new HashMap<>();
        admin.listOffsets(req).all().get().forEach((tp, info) -> res.put(tp, info.offset()));
        return res;
    }

    private static ArrayNode offsetsArray(Map<TopicPartition, Long> offsets, String topic) {
        TreeMap<Integer, Long> sorted = new TreeMap<>();
        offsets.forEach((tp, o) -> {
            if (tp.topic().equals(topic)) {
                sorted.put(tp.partition(), o);
            }
        });
        ArrayNode arr = JSON.createArrayNode();
        sorted.values().forEach(arr::add);
        return arr;
    }

    // ------------------------------------------------------------------ verify

    /** One record reduced to what MM2 must preserve: key, value, headers, timestamp. */
    private record Rec(long offset, byte[] key, byte[] value, long timestamp, List<String> headers) {
        boolean sameContent(Rec o) {
            return Arrays.equals(key, o.key) && Arrays.equals(value, o.value) && timestamp == o.timestamp
                && headers.equals(o.headers);
        }

        String describe() {
            return "offset=" + offset + " key=" + str(key) + " value=" + abbreviate(str(value)) + " ts=" + timestamp
                + " headers=" + headers;
        }
    }

    private static String str(byte[] b) {
        return b == null ? "null" : new String(b, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** All records below the given end offsets of these partitions, with one consumer. */
    private static Map<TopicPartition, List<Rec>> readPartitions(JsonNode cluster, Map<TopicPartition, Long> ends) {
        Map<TopicPartition, List<Rec>> out = new HashMap<>();
        List<TopicPartition> wanted = new ArrayList<>();
        ends.forEach((tp, end) -> {
            out.put(tp, new ArrayList<>());
            if (end > 0) {
                wanted.add(tp);
            }
        });
        if (wanted.isEmpty()) {
            return out;
        }
        try (KafkaConsumer<byte[], byte[]> c = consumer(cluster, null)) {
            c.assign(wanted);
            c.seekToBeginning(wanted);
            long deadline = System.currentTimeMillis() + 60000;
            while (System.currentTimeMillis() < deadline
                    && wanted.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= ends.get(tp)) {
                        continue;
                    }
                    List<String> headers = new ArrayList<>();
                    for (Header h : r.headers()) {
                        headers.add(h.key() + "=" + str(h.value()));
                    }
                    out.get(tp).add(new Rec(r.offset(), r.key(), r.value(), r.timestamp(), headers));
                }
            }
        }
        return out;
    }

    private static ObjectNode verify(JsonNode spec) throws Exception {
        JsonNode source = spec.get("source");
        JsonNode target = spec.get("target");
        long start = System.currentTimeMillis();
        long deadline = start + spec.path("timeoutMs").asLong(120000);
        long pollMs = spec.path("pollMs").asLong(1000);
        List<String> topics = strings(spec.get("topics"));
        List<String> groups = strings(spec.get("groups"));
        JsonNode waitAcls = spec.get("waitAcls");
        // {group: {"topic-partition": maxRewind}}: wait until the target has offsets for these
        JsonNode waitGroups = spec.get("waitGroups");

        ObjectNode out = JSON.createObjectNode();
        ObjectNode waited = out.putObject("waitedMs");
        try (Admin src = admin(source); Admin dst = admin(target)) {
            Map<TopicPartition, Long> srcEnds = endOffsets(src, topics);

            // 1. wait until every partition of every topic has the source's end offset on the target
            boolean topicsDone = false;
            boolean aclsDone = waitAcls == null || waitAcls.isEmpty();
            boolean groupsDone = waitGroups == null || waitGroups.isEmpty();
            Map<String, Map<TopicPartition, OffsetAndMetadata>> srcGroups = new HashMap<>();
            for (String g : groups) {
                srcGroups.put(g, src.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get());
            }
            while (true) {
                long now = System.currentTimeMillis();
                if (!topicsDone) {
                    topicsDone = topicsReplicated(dst, topics, srcEnds);
                    if (topicsDone) {
                        waited.put("topics", now - start);
                    }
                }
                if (!aclsDone) {
                    aclsDone = aclsPresent(dst, waitAcls);
                    if (aclsDone) {
                        waited.put("acls", now - start);
                    }
                }
                if (!groupsDone) {
                    groupsDone = groupsSynced(dst, srcGroups, waitGroups);
                    if (groupsDone) {
                        waited.put("groups", now - start);
                    }
                }
                if ((topicsDone && aclsDone && groupsDone) || now > deadline) {
                    break;
                }
                Thread.sleep(pollMs);
            }
            out.put("topicsReplicated", topicsDone);
            out.put("aclsSynced", aclsDone);
            out.put("groupsSynced", groupsDone);

            // 2. record-by-record comparison per partition
            ObjectNode recordsOut = out.putObject("records");
            Set<String> dstTopics = dst.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
            for (String topic : topics) {
                ObjectNode to = recordsOut.putObject(topic);
                if (!dstTopics.contains(topic)) {
                    to.put("missing", true);
                    continue;
                }
                Map<TopicPartition, Long> dstEnds = endOffsets(dst, List.of(topic));
                to.put("sourcePartitions", srcEnds.keySet().stream().filter(tp -> tp.topic().equals(topic)).count());
                to.put("targetPartitions", dstEnds.size());
                ArrayNode parts = to.putArray("partitions");
                long total = 0;
                boolean allEqual = true;
                Map<TopicPartition, Long> srcTopicEnds = new HashMap<>();
                srcEnds.forEach((tp, end) -> {
                    if (tp.topic().equals(topic)) {
                        srcTopicEnds.put(tp, end);
                    }
                });
                Map<TopicPartition, List<Rec>> srcRecs = readPartitions(source, srcTopicEnds);
                Map<TopicPartition, List<Rec>> dstRecs = readPartitions(target, dstEnds);
                for (TopicPartition tp : new TreeMap<Integer, TopicPartition>(byPartition(srcEnds, topic)).values()) {
                    List<Rec> a = srcRecs.get(tp);
                    List<Rec> b = dstRecs.getOrDefault(tp, List.of());
                    ObjectNode po = parts.addObject();
                    po.put("partition", tp.partition());
                    po.put("source", a.size());
                    po.put("target", b.size());
                    String mismatch = null;
                    for (int i = 0; i < Math.max(a.size(), b.size()) && mismatch == null; i++) {
                        if (i >= a.size()) {
                            mismatch = "extra on target at index " + i + ": " + b.get(i).describe();
                        } else if (i >= b.size()) {
                            mismatch = "missing on target at index " + i + ": " + a.get(i).describe();
                        } else if (!a.get(i).sameContent(b.get(i))) {
                            mismatch = "index " + i + ": source " + a.get(i).describe() + " target "
                                + b.get(i).describe();
                        } else if (a.get(i).offset() != b.get(i).offset()) {
                            po.put("offsetsDiffer", true);
                        }
                    }
                    po.put("equal", mismatch == null);
                    if (mismatch != null) {
                        po.put("firstMismatch", mismatch);
                        allEqual = false;
                    }
                    total += a.size();
                }
                to.put("sourceRecords", total);
                to.put("equal", allEqual);
            }

            // 3. topics on both sides
            out.set("sourceTopics", sortedArray(src.listTopics(new ListTopicsOptions().listInternal(true)).names().get()));
            out.set("targetTopics", sortedArray(dst.listTopics(new ListTopicsOptions().listInternal(true)).names().get()));

            // 4. configs of the requested topics (only explicitly set ones)
            ObjectNode cfgOut = out.putObject("configs");
            cfgOut.set("source", topicConfigs(src, strings(spec.get("configTopics")), null));
            cfgOut.set("target", topicConfigs(dst, strings(spec.get("configTopics")), dstTopics));

            // 5. ACLs
            ObjectNode aclOut = out.putObject("acls");
            aclOut.set("source", aclsJson(src));
            aclOut.set("target", aclsJson(dst));

            // 6. consumer groups
            ObjectNode groupsOut = out.putObject("groups");
            for (String g : groups) {
                ObjectNode go = groupsOut.putObject(g);
                ObjectNode so = go.putObject("source");
                srcGroups.get(g).forEach((tp, om) -> so.put(tp.toString(), om.offset()));
                ObjectNode tgt = go.putObject("target");
                dst.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get()
                    .forEach((tp, om) -> {
                        if (om != null) {
                            tgt.put(tp.toString(), om.offset());
                        }
                    });
            }
            ObjectNode listed = out.putObject("targetGroups");
            dst.listConsumerGroups().all().get().forEach(l -> listed.put(l.groupId(), true));
        }

        // 7. secrets that must not appear in plain text in (MM2's internal) topics on the target
        ObjectNode leaks = out.putObject("leaks");
        List<String> needles = strings(spec.get("scanStrings"));
        for (String topic : strings(spec.get("scanTopics"))) {
            ArrayNode found = leaks.putArray(topic);
            try (Admin dst = admin(target)) {
                if (!dst.listTopics(new ListTopicsOptions().listInternal(true)).names().get().contains(topic)) {
                    continue;
                }
                Map<TopicPartition, Long> ends = endOffsets(dst, List.of(topic));
                Set<String> hits = new TreeSet<>();
                for (List<Rec> recs : readPartitions(target, ends).values()) {
                    for (Rec r : recs) {
                        String text = str(r.key()) + " " + str(r.value());
                        for (String n : needles) {
                            if (text.contains(n)) {
                                hits.add(n);
                            }
                        }
                    }
                }
                hits.forEach(found::add);
            }
        }

        // 8. a consumer switched over to the target: where does it resume?
        ObjectNode resumeOut = out.putObject("resume");
        for (JsonNode r : iter(spec.get("resume"))) {
            resumeOut.set(r.get("group").asText(), resume(target, r.get("group").asText(), r.get("topic").asText()));
        }
        out.put("elapsedMs", System.currentTimeMillis() - start);
        return out;
    }

    private static Map<Integer, TopicPartition> byPartition(Map<TopicPartition, Long> m, String topic) {
        Map<Integer, TopicPartition> r = new HashMap<>();
        m.keySet().forEach(tp -> {
            if (tp.topic().equals(topic)) {
                r.put(tp.partition(), tp);
            }
        });
        return r;
    }

    private static boolean topicsReplicated(Admin dst, List<String> topics, Map<TopicPartition, Long> srcEnds)
            throws Exception {
        Set<String> names = dst.listTopics().names().get();
        if (!names.containsAll(topics)) {
            return false;
        }
        try {
            Map<TopicPartition, Long> ends = endOffsets(dst, topics);
            for (Map.Entry<TopicPartition, Long> e : srcEnds.entrySet()) {
                if (ends.getOrDefault(e.getKey(), -1L) < e.getValue()) {
                    return false;
                }
            }
            return true;
        } catch (ExecutionException e) {
            return false;
        }
    }

    private static boolean aclsPresent(Admin dst, JsonNode wanted) throws Exception {
        Collection<AclBinding> have = dst.describeAcls(AclBindingFilter.ANY).values().get();
        for (JsonNode w : iter(wanted)) {
            AclBinding b = aclFromJson(w);
            if (!have.contains(b)) {
                return false;
            }
        }
        return true;
    }

    private static boolean groupsSynced(Admin dst, Map<String, Map<TopicPartition, OffsetAndMetadata>> srcGroups,
                                        JsonNode waitGroups) throws Exception {
        for (Map.Entry<String, JsonNode> g : (Iterable<Map.Entry<String, JsonNode>>) waitGroups::fields) {
            Map<TopicPartition, OffsetAndMetadata> t =
                dst.listConsumerGroupOffsets(g.getKey()).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetAndMetadata> s = srcGroups.getOrDefault(g.getKey(), Map.of());
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) g.getValue()::fields) {
                String tpName = e.getKey();
                int dash = tpName.lastIndexOf('-');
                TopicPartition tp = new TopicPartition(tpName.substring(0, dash),
                    Integer.parseInt(tpName.substring(dash + 1)));
                OffsetAndMetadata om = t.get(tp);
                OffsetAndMetadata committed = s.get(tp);
                if (om == null || committed == null) {
                    return false;
                }
                if (committed.offset() - om.offset() > e.getValue().asLong()) {
                    return false;
                }
            }
        }
        return true;
    }

    private static ObjectNode topicConfigs(Admin admin, List<String> topics, Set<String> existing) throws Exception {
        ObjectNode out = JSON.createObjectNode();
        List<ConfigResource> res = new ArrayList<>();
        for (String t : topics) {
            if (existing == null || existing.contains(t)) {
                res.add(new ConfigResource(ConfigResource.Type.TOPIC, t));
            }
        }
        if (res.isEmpty()) {
            return out;
        }
        Map<ConfigResource, Config> cfgs = admin.describeConfigs(res).all().get();
        for (Map.Entry<ConfigResource, Config> e : cfgs.entrySet()) {
            ObjectNode to = out.putObject(e.getKey().name());
            for (ConfigEntry ce : e.getValue().entries()) {
                if (ce.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) {
                    to.put(ce.name(), ce.value());
                }
            }
        }
        return out;
    }

    private static ArrayNode aclsJson(Admin admin) throws Exception {
        ArrayNode arr = JSON.createArrayNode();
        List<String> lines = new ArrayList<>();
        for (AclBinding b : admin.describeAcls(AclBindingFilter.ANY).values().get()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("resourceType", b.pattern().resourceType().name());
            o.put("name", b.pattern().name());
            o.put("patternType", b.pattern().patternType().name());
            o.put("principal", b.entry().principal());
            o.put("host", b.entry().host());
            o.put("operation", b.entry().operation().name());
            o.put("permission", b.entry().permissionType().name());
            lines.add(o.toString());
        }
        Collections.sort(lines);
        for (String l : lines) {
            arr.add(JSON.readTree(l));
        }
        return arr;
    }

    private static ObjectNode resume(JsonNode target, String group, String topic) {
        ObjectNode out = JSON.createObjectNode();
        ObjectNode committedOut = out.putObject("committed");
        ObjectNode first = out.putObject("firstRecords");
        try (KafkaConsumer<byte[], byte[]> c = consumer(target, group)) {
            c.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30000;
            Map<Integer, String> firstSeen = new TreeMap<>();
            int partitions = c.partitionsFor(topic).size();
            boolean haveCommitted = false;
            while (System.currentTimeMillis() < deadline && firstSeen.size() < partitions) {
                var records = c.poll(Duration.ofMillis(500));
                if (!haveCommitted && c.assignment().size() == partitions) {
                    // the group is active now: MM2 no longer changes its offsets on the target
                    c.committed(new java.util.HashSet<>(c.assignment())).forEach((tp, om) ->
                        committedOut.put(Integer.toString(tp.partition()), om == null ? -1 : om.offset()));
                    haveCommitted = true;
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    firstSeen.putIfAbsent(r.partition(), r.offset() + " " + str(r.value()).split("\\|")[0] + "|"
                        + str(r.value()).split("\\|")[1]);
                }
                // partitions whose committed offset is at the end have nothing to read: count them as seen
                for (TopicPartition tp : c.assignment()) {
                    if (!firstSeen.containsKey(tp.partition())) {
                        long pos = c.position(tp);
                        long end = c.endOffsets(List.of(tp)).get(tp);
                        if (pos >= end) {
                            firstSeen.put(tp.partition(), "at-end " + pos);
                        }
                    }
                }
            }
            firstSeen.forEach((p, s) -> first.put(Integer.toString(p), s));
            // do not commit: leave the translated offsets as MM2 wrote them
        } catch (Exception e) {
            out.put("error", e.toString());
        }
        return out;
    }

    // ------------------------------------------------------------------ bench

    private static ObjectNode produce(JsonNode spec) throws Exception {
        JsonNode cluster = spec.get("cluster");
        String topic = spec.get("topic").asText();
        long n = spec.get("records").asLong();
        ObjectNode out = JSON.createObjectNode();
        try (KafkaProducer<byte[], byte[]> producer = producer(cluster)) {
            // connect + fetch metadata before timing
            producer.partitionsFor(topic);
            long t0 = System.currentTimeMillis();
            produceRecords(producer, topic, n, spec.path("keys").asInt(1000), spec.path("valueBytes").asInt(100));
            long t1 = System.currentTimeMillis();
            out.put("startMs", t0);
            out.put("endMs", t1);
            out.put("records", n);
        }
        return out;
    }

    private static ObjectNode watch(JsonNode spec) throws Exception {
        JsonNode cluster = spec.get("cluster");
        String topic = spec.get("topic").asText();
        long expected = spec.get("records").asLong();
        long deadline = System.currentTimeMillis() + spec.path("timeoutMs").asLong(300000);
        ObjectNode out = JSON.createObjectNode();
        long first = -1;
        long last = -1;
        long seen = 0;
        long topicVisible = -1;
        try (Admin admin = admin(cluster)) {
            // wait for the topic (e.g. until MM2 has created it), then signal readiness to the caller
            while (System.currentTimeMillis() < deadline) {
                if (admin.listTopics().names().get().contains(topic)) {
                    topicVisible = System.currentTimeMillis();
                    break;
                }
                Thread.sleep(100);
            }
            if (spec.has("readyFile") && topicVisible > 0) {
                new File(spec.get("readyFile").asText()).createNewFile();
            }
            while (topicVisible > 0 && System.currentTimeMillis() < deadline) {
                long sum = 0;
                try {
                    for (long v : endOffsets(admin, List.of(topic)).values()) {
                        sum += v;
                    }
                } catch (ExecutionException e) {
                    sum = 0;
                }
                long now = System.currentTimeMillis();
                if (sum > 0 && first < 0) {
                    first = now;
                }
                seen = sum;
                if (sum >= expected) {
                    last = now;
                    break;
                }
                Thread.sleep(20);
            }
        }
        out.put("topicVisibleMs", topicVisible);
        out.put("firstVisibleMs", first);
        out.put("lastVisibleMs", last);
        out.put("visible", seen);
        return out;
    }

    // ------------------------------------------------------------------ small utils

    private static Iterable<JsonNode> iter(JsonNode n) {
        if (n == null || n.isNull()) {
            return List.of();
        }
        return n::elements;
    }

    private static List<String> strings(JsonNode n) {
        List<String> r = new ArrayList<>();
        for (JsonNode x : iter(n)) {
            r.add(x.asText());
        }
        return r;
    }

    private static ArrayNode sortedArray(Collection<String> c) {
        ArrayNode arr = JSON.createArrayNode();
        new TreeSet<>(c).forEach(arr::add);
        return arr;
    }
}
