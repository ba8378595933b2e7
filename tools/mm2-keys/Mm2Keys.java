// Prints, as JSON, every configuration key dedicated MirrorMaker2 reads in the Kafka release on
// the class path, taken from Kafka's own ConfigDefs: name, type, default and, where the ConfigDef
// has a validator mm2gen can read, the valid values (a list of names or a numeric range).
//
// Run by scripts/gen-mm2-keys (Maven resolves the class path of tools/mm2-keys/pom.xml for the
// version in src/version.rs; Java's single-file source launcher runs this file, no build step).
// Several ConfigDefs keep their definition private; reflection reads them as Kafka builds them.
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.mirror.MirrorCheckpointConnector;
import org.apache.kafka.connect.mirror.MirrorClientConfig;
import org.apache.kafka.connect.mirror.MirrorHeartbeatConnector;
import org.apache.kafka.connect.mirror.MirrorMakerConfig;
import org.apache.kafka.connect.mirror.MirrorSourceConnector;
import org.apache.kafka.connect.runtime.distributed.Crypto;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;
import org.apache.kafka.connect.runtime.rest.RestServerConfig;

public class Mm2Keys {
    public static void main(String[] args) throws Exception {
        // Scope names are what src/lint/keys.rs looks up; keep them in sync.
        Map<String, ConfigDef> scopes = new LinkedHashMap<>();
        Method mm2 = MirrorMakerConfig.class.getDeclaredMethod("config");
        mm2.setAccessible(true);
        scopes.put("mirrormaker", (ConfigDef) mm2.invoke(null));
        // The client keys MirrorMaker2 copies from the top level and from `<alias>.` into every
        // client of a cluster (bootstrap, security, ssl, sasl).
        Field client = MirrorClientConfig.class.getDeclaredField("CLIENT_CONFIG_DEF");
        client.setAccessible(true);
        scopes.put("client", (ConfigDef) client.get(null));
        scopes.put("source", new MirrorSourceConnector().config());
        scopes.put("checkpoint", new MirrorCheckpointConnector().config());
        scopes.put("heartbeat", new MirrorHeartbeatConnector().config());
        Method worker = DistributedConfig.class.getDeclaredMethod("config", Crypto.class);
        worker.setAccessible(true);
        scopes.put("worker", (ConfigDef) worker.invoke(null, Crypto.SYSTEM));
        ConfigDef rest = new ConfigDef();
        RestServerConfig.addPublicConfig(rest);
        scopes.put("rest", rest);
        scopes.put("producer", ProducerConfig.configDef());
        scopes.put("consumer", ConsumerConfig.configDef());
        scopes.put("admin", AdminClientConfig.configDef());

        StringBuilder out = new StringBuilder();
        out.append("{\n  \"kafka\": ").append(json(AppInfoParser.getVersion()));
        out.append(",\n  \"generator\": \"tools/mm2-keys/Mm2Keys.java (scripts/gen-mm2-keys)\"");
        out.append(",\n  \"scopes\": {");
        String scopeSep = "\n";
        for (Map.Entry<String, ConfigDef> scope : scopes.entrySet()) {
            out.append(scopeSep).append("    ").append(json(scope.getKey())).append(": {");
            scopeSep = ",\n";
            String keySep = "\n";
            for (ConfigDef.ConfigKey k : new TreeMap<>(scope.getValue().configKeys()).values()) {
                out.append(keySep).append("      ").append(json(k.name)).append(": ").append(describe(k));
                keySep = ",\n";
            }
            out.append("\n    }");
        }
        out.append("\n  }\n}\n");
        System.out.print(out);
    }

    /** One key on one line: {"type": ..., "default": ..., "valid": ..., "in"/"min"/"max": ...}. */
    static String describe(ConfigDef.ConfigKey k) throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("type", json(k.type.name()));
        if (k.defaultValue == ConfigDef.NO_DEFAULT_VALUE) {
            fields.put("required", "true");
        } else if (k.defaultValue != null && k.type != ConfigDef.Type.PASSWORD) {
            fields.put("default", json(ConfigDef.convertToString(k.defaultValue, k.type)));
        }
        if (k.internalConfig) fields.put("internal", "true");
        if (k.validator != null) {
            // Validators without a toString of their own print an identity hash: not a description,
            // and not the same from one run to the next.
            boolean described = k.validator.getClass().getMethod("toString").getDeclaringClass() != Object.class;
            String text = described ? k.validator.toString() : null;
            if (text != null && !text.isEmpty()) fields.put("valid", json(text));
            validator(k.validator, fields);
        }
        StringBuilder s = new StringBuilder("{");
        String sep = "";
        for (Map.Entry<String, String> f : fields.entrySet()) {
            s.append(sep).append(json(f.getKey())).append(": ").append(f.getValue());
            sep = ", ";
        }
        return s.append('}').toString();
    }

    /** The machine-readable part of the validators mm2gen checks values against. */
    @SuppressWarnings("unchecked")
    static void validator(ConfigDef.Validator v, Map<String, String> fields) throws Exception {
        if (v instanceof ConfigDef.ValidString) {
            fields.put("in", jsonList((Collection<String>) field(v, "validStrings")));
        } else if (v instanceof ConfigDef.CaseInsensitiveValidString) {
            fields.put("in", jsonList(new TreeSet<>((Collection<String>) field(v, "validStrings"))));
            fields.put("caseInsensitive", "true");
        } else if (v instanceof ConfigDef.ValidList) {
            Collection<String> in = (Collection<String>) field(field(v, "validString"), "validStrings");
            if (!in.isEmpty()) fields.put("in", jsonList(in));
            fields.put("list", "true");
            if (!(Boolean) field(v, "isEmptyAllowed")) fields.put("nonEmpty", "true");
        } else if (v instanceof ConfigDef.Range) {
            Object min = field(v, "min");
            Object max = field(v, "max");
            if (min != null) fields.put("min", min.toString());
            if (max != null) fields.put("max", max.toString());
        } else if (v instanceof ConfigDef.NonEmptyString
                || v instanceof ConfigDef.NonEmptyStringWithoutControlChars) {
            fields.put("nonEmpty", "true");
        } else if (v instanceof ConfigDef.CompositeValidator) {
            for (ConfigDef.Validator inner : (List<ConfigDef.Validator>) field(v, "validators")) {
                validator(inner, fields);
            }
        }
    }

    static Object field(Object o, String name) throws Exception {
        Class<?> c = o.getClass();
        while (c != null) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(o);
            } catch (NoSuchFieldException e) {
                c = c.getSuperclass();
            }
        }
        throw new NoSuchFieldException(o.getClass().getName() + "." + name);
    }

    static String jsonList(Collection<String> items) {
        List<String> parts = new ArrayList<>();
        for (String i : items) parts.add(json(i));
        return "[" + String.join(", ", parts) + "]";
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
