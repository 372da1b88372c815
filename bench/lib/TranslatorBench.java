import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.LoadedConfig;
import org.jairouter.ir.RouterIr;
import org.jairouter.translate.EnvoyResources;
import org.jairouter.translate.EnvoyTranslator;
import org.jairouter.translate.ResolvedHosts;
import org.jairouter.translate.StatusEndpoint;
import org.jairouter.xds.SnapshotPublisher;

/**
 * Times the control plane's config pipeline in-process, stage by stage (wall clock and CPU), the way the router runs it
 * at start-up and on every reload: load + validate the YAML, translate to Envoy resources, publish
 * the snapshot (which digests the resources it has not published before). Run 1 is cold (class loading,
 * interpreter), like a start-up; the later runs show the JIT-warm cost of a reload that changes nothing.
 *
 * <p>Usage: {@code java -cp jairouter.jar TranslatorBench.java CONFIG RUNS}; prints one JSON object
 * whose {@code cold} and {@code warm} hold the three stages' wall times in ms, then their CPU times.
 * Host lookups are left out: the benchmark configs use IP literals, which resolve to themselves.
 */
public final class TranslatorBench {
    /** Where Envoy would reach the status server; the translation only writes it into a cluster. */
    private static final StatusEndpoint STATUS = new StatusEndpoint("127.0.0.1", 18001);

    public static void main(String[] args) throws Exception {
        Path config = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        double[][] stages = new double[runs][];
        LoadedConfig loaded = null;
        EnvoyResources resources = null;
        // One publisher for all runs, as in the router: runs after the first republish an unchanged config.
        SnapshotPublisher publisher = new SnapshotPublisher();
        for (int run = 0; run < runs; run++) {
            long[] start = now();
            loaded = ConfigLoader.load(config);
            long[] loadedAt = now();
            ResolvedHosts hosts = ResolvedHosts.asWritten(loaded.config());
            // The router model is made once per config: translating includes it.
            resources = EnvoyTranslator.translate(RouterIr.of(loaded.config()), hosts, STATUS);
            long[] translatedAt = now();
            publisher.publish(resources, 1);
            long[] publishedAt = now();
            stages[run] = new double[] {
                ms(loadedAt[0] - start[0]), ms(translatedAt[0] - loadedAt[0]), ms(publishedAt[0] - translatedAt[0]),
                ms(loadedAt[1] - start[1]), ms(translatedAt[1] - loadedAt[1]), ms(publishedAt[1] - translatedAt[1])};
        }
        // The heap that stays in use while serving: the config, its resources and the snapshot.
        System.gc();
        long liveHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        Reference.reachabilityFence(publisher);
        long instances = loaded.config().services().values().stream().mapToLong(s -> s.instances().size()).sum();
        System.out.printf("{\"instances\":%d,\"clusters\":%d,\"routes\":%d,\"config_bytes\":%d,"
                        + "\"cold\":%s,\"warm\":%s,\"live_heap_mib\":%.1f,\"peak_rss_mib\":%.1f}%n",
                instances, resources.clusters().size(),
                resources.routes().stream().mapToLong(r -> r.getVirtualHosts(0).getRoutesCount()).sum(),
                Files.size(config), Arrays.toString(stages[0]),
                Arrays.toString(warm(stages)), liveHeap / 1048576.0, peakRssMib());
    }

    /**
     * Wall clock and the CPU time of the whole JVM (JIT compiler and GC threads included), in ns. On a
     * busy machine wall time grows with the neighbours' load; CPU time barely does.
     */
    private static long[] now() {
        return new long[] {System.nanoTime(),
            ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime()};
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }

    /** Per stage, the median of the runs after the first (the first again when there is only one). */
    private static double[] warm(double[][] stages) {
        double[][] later = stages.length > 1 ? Arrays.copyOfRange(stages, 1, stages.length) : stages;
        double[] median = new double[later[0].length];
        for (int stage = 0; stage < median.length; stage++) {
            int s = stage;
            median[stage] = Arrays.stream(later).mapToDouble(run -> run[s]).sorted().toArray()[later.length / 2];
        }
        return median;
    }

    /** VmHWM: the most memory this JVM ever had resident. */
    private static double peakRssMib() throws Exception {
        String line = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmHWM:")).findFirst().orElseThrow();
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
    }
}
