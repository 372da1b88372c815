package org.jairouter.load;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP clients scrapes go out on: one for http instances, and for https instances one that
 * verifies the server as Envoy does for their traffic (the CA bundle of {@code model.tls.ca-file},
 * the certificate's name against the base-url's host), never the JDK's own trust store. A bundle is
 * read again when its file changes. Used from one thread only: the load scraper's, or model discovery's.
 */
public final class ScrapeClients {
    private static final Pattern PEM =
            Pattern.compile("-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", Pattern.DOTALL);

    private record Trusting(FileTime modified, HttpClient client) {}

    private final Duration connectTimeout;
    /**
     * Made at the first scrape (the scraper's thread alone uses this): a java.net.http client sets up a
     * TLS context (about 400 classes), which a start, and a config without load-aware services, need not
     * pay for.
     */
    private HttpClient plain;

    private final Map<Path, Trusting> byBundle = new HashMap<>();

    public ScrapeClients(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public HttpClient plain() {
        if (plain == null) {
            plain = builder().build();
        }
        return plain;
    }

    /** A client that trusts exactly the certificates of the PEM bundle. */
    public HttpClient trusting(Path caBundle) throws IOException, GeneralSecurityException {
        FileTime modified = Files.getLastModifiedTime(caBundle);
        Trusting known = byBundle.get(caBundle);
        if (known == null || !known.modified().equals(modified)) {
            known = new Trusting(
                    modified, builder().sslContext(sslContext(caBundle)).build());
            byBundle.put(caBundle, known);
        }
        return known.client();
    }

    private HttpClient.Builder builder() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout);
    }

    private static SSLContext sslContext(Path caBundle) throws IOException, GeneralSecurityException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        Matcher pem = PEM.matcher(Files.readString(caBundle));
        int count = 0;
        while (pem.find()) {
            byte[] der = Base64.getMimeDecoder().decode(pem.group(1));
            trusted.setCertificateEntry("ca-" + count++, x509.generateCertificate(new ByteArrayInputStream(der)));
        }
        if (count == 0) {
            throw new GeneralSecurityException("no PEM certificate in " + caBundle);
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
