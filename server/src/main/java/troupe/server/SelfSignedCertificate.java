package troupe.server;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificate `troupe server --tls` serves when the user gives none: an EC P-256 key and a self-signed
 * certificate for localhost, 127.0.0.1, ::1 and the server's --host, valid for a year. Clients trust it by pinning
 * the certificate file itself (--tls-ca). For production, give --tls-cert and --tls-key from a real CA.
 */
final class SelfSignedCertificate {
  static final Duration VALIDITY = Duration.ofDays(365);

  private SelfSignedCertificate() {}

  /**
   * Keeps the certificate and key in the files if the certificate names {@code host} and is valid for at least
   * another day; otherwise writes new ones. Returns why it wrote new ones, or null if it kept them.
   */
  static String ensure(Path certFile, Path keyFile, String host) throws IOException, GeneralSecurityException {
    if (!Files.exists(certFile) || !Files.exists(keyFile)) {
      write(certFile, keyFile, host);
      return "created";
    }
    X509Certificate existing = read(certFile);
    Date tomorrow = Date.from(Instant.now().plus(Duration.ofDays(1)));
    if (existing.getNotAfter().before(tomorrow)) {
      write(certFile, keyFile, host);
      return "replaced: the previous one expires " + existing.getNotAfter().toInstant();
    }
    if (!names(existing).containsAll(hostNames(host).stream().map(SelfSignedCertificate::normalize).toList())) {
      write(certFile, keyFile, host);
      return "replaced: the previous one does not name host " + host;
    }
    return null;
  }

  /** A new key and certificate, the key written owner-only as PKCS#8 PEM, the certificate as PEM. */
  static void write(Path certFile, Path keyFile, String host) throws IOException, GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    KeyPair pair = generator.generateKeyPair();
    X500Name subject = new X500Name("CN=troupe server");
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
        new BigInteger(63, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))), // allow for clock skew
        Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
    List<GeneralName> names = new ArrayList<>();
    for (String name : hostNames(host)) {
      names.add(new GeneralName(isIpLiteral(name) ? GeneralName.iPAddress : GeneralName.dNSName, name));
    }
    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
    // Its own issuer: a CA certificate, so that clients of every TLS library accept it as their trust anchor.
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    builder.addExtension(Extension.subjectKeyIdentifier, false,
        new JcaX509ExtensionUtils().createSubjectKeyIdentifier(pair.getPublic()));
    X509Certificate certificate;
    try {
      certificate = new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign the certificate: " + e.getMessage(), e);
    }
    OwnerOnlyFiles.write(keyFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    OwnerOnlyFiles.write(certFile, pem("CERTIFICATE", certificate.getEncoded()));
  }

  static X509Certificate read(Path certFile) throws IOException, CertificateException {
    try (InputStream in = Files.newInputStream(certFile)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /** The DNS names and IP addresses (normalised) the certificate is valid for. */
  static Set<String> names(X509Certificate certificate) throws CertificateException {
    Set<String> names = new LinkedHashSet<>();
    Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
    if (alternatives != null) {
      for (List<?> entry : alternatives) {
        names.add(normalize(String.valueOf(entry.get(1))));
      }
    }
    return names;
  }

  /** localhost, the loopback addresses and the bind host, unless that is a wildcard such as 0.0.0.0. */
  static Set<String> hostNames(String host) {
    Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    if (!normalize(host).equals(normalize("0.0.0.0")) && !normalize(host).equals(normalize("::"))) {
      names.add(host);
    }
    return names;
  }

  private static boolean isIpLiteral(String name) {
    return name.contains(":") || name.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  /** IP literals compared as addresses (0:0:0:0:0:0:0:1 is ::1), names case-insensitively. */
  private static String normalize(String name) {
    if (isIpLiteral(name)) {
      try {
        return InetAddress.getByName(name).getHostAddress(); // a literal: no lookup happens
      } catch (java.net.UnknownHostException e) {
        return name;
      }
    }
    return name.toLowerCase(java.util.Locale.ROOT);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
