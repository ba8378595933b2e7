// Prints the configuration keys MirrorMaker2 (dedicated mode) reads, with their types, as JSON,
// from Kafka's own ConfigDefs. Run by scripts/gen-mm2-keys with the pinned Kafka's jars on the
// class path (Java's single-file source launcher: no build step).
import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.mirror.MirrorCheckpointConnector;
import org.apache.kafka.connect.mirror.MirrorHeartbeatConnector;
import org.apache.kafka.connect.mirror.MirrorMakerConfig;
import org.apache.kafka.connect.mirror.MirrorSourceConnector;
import org.apache.kafka.connect.runtime.distributed.Crypto;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;

public class Mm2Keys {
    public static void main(String[] args) throws Exception {
        Map<String, ConfigDef> scopes = new TreeMap<>();
        Method mm2 = MirrorMakerConfig.class.getDeclaredMethod("config");
        mm2.setAccessible(true);
        scopes.put("mirrormaker", (ConfigDef) mm2.invoke(null));
        ConfigDef connector = new ConfigDef();
        for (ConfigDef d : new ConfigDef[] {new MirrorSourceConnector().config(),
                new MirrorCheckpointConnector().config(), new MirrorHeartbeatConnector().config()}) {
            for (ConfigDef.ConfigKey k : d.configKeys().values()) {
                if (!connector.configKeys().containsKey(k.name)) connector.define(k);
            }
        }
        scopes.put("connector", connector);
        Method worker = DistributedConfig.class.getDeclaredMethod("config", Crypto.class);
        worker.setAccessible(true);
        scopes.put("worker", (ConfigDef) worker.invoke(null, Crypto.SYSTEM));
        scopes.put("producer", ProducerConfig.configDef());
        scopes.put("consumer", ConsumerConfig.configDef());
        scopes.put("admin", AdminClientConfig.configDef());

        StringBuilder out = new StringBuilder();
        out.append("{\n  \"kafka\": \"").append(AppInfoParser.getVersion()).append("\",\n  \"scopes\": {");
        boolean firstScope = true;
        for (Map.Entry<String, ConfigDef> scope : scopes.entrySet()) {
            out.append(firstScope ? "\n" : ",\n").append("    \"").append(scope.getKey()).append("\": {");
            firstScope = false;
            boolean first = true;
            for (ConfigDef.ConfigKey k : new TreeMap<>(scope.getValue().configKeys()).values()) {
                out.append(first ? "\n" : ",\n").append("      \"").append(k.name).append("\": \"").append(k.type.name()).append('"');
                first = false;
            }
            out.append("\n    }");
        }
        out.append("\n  }\n}\n");
        System.out.print(out);
    }
}
