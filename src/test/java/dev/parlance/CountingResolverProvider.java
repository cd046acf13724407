package dev.parlance;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.stream.Stream;

/**
 * Host lookups for {@link NoNetworkProbe}: while {@link #COUNTING} is set, every lookup is counted
 * and refused; otherwise (every other test JVM) lookups go to the JDK's own resolver.
 */
public final class CountingResolverProvider extends InetAddressResolverProvider {
    /** The system property that turns counting on. */
    static final String COUNTING = "parlance.probe.countLookups";

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        if (!Boolean.getBoolean(COUNTING)) {
            return builtin;
        }
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                throw NoNetworkProbe.refused("resolve " + host);
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                throw NoNetworkProbe.refused("reverse lookup");
            }
        };
    }

    @Override
    public String name() {
        return "parlance-no-network-probe";
    }
}
