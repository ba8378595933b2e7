// Prints what java.util.Properties reads from each file given, one JSON object per line (keys
// sorted), the way MirrorMaker2 loads mm2.properties: Properties.load of the file's bytes
// (ISO-8859-1). Run by tests/properties_java.rs with the JDK's source launcher.
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Properties;
import java.util.TreeMap;

public class ReadProperties {
    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String path : args) {
            Properties properties = new Properties();
            try (InputStream in = Files.newInputStream(Paths.get(path))) {
                properties.load(in);
            }
            TreeMap<String, String> sorted = new TreeMap<>();
            for (String key : properties.stringPropertyNames()) {
                sorted.put(key, properties.getProperty(key));
            }
            out.append('{');
            String separator = "";
            for (var entry : sorted.entrySet()) {
                out.append(separator);
                separator = ",";
                json(out, entry.getKey());
                out.append(':');
                json(out, entry.getValue());
            }
            out.append("}\n");
        }
        System.out.print(out);
    }

    private static void json(StringBuilder out, String s) {
        out.append('"');
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
