package troupe.actors;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The cluster key: the files that let a node into a Troupe cluster. One EC key pair with a self-signed certificate
 * ({@value #KEY_STORE}), a trust store holding only that certificate ({@value #TRUST_STORE}), and the password of
 * both ({@value #PASSWORD}). Every node of a cluster gets the same three files. The certificate is the cluster's
 * private CA and each node's identity at once: a node trusts exactly this certificate, so with mutual TLS it only
 * accepts connections from, and only connects to, nodes holding the same private key.
 */
public final class ClusterKeys {
  public static final String KEY_STORE = "node.p12";
  public static final String TRUST_STORE = "trust.p12";
  public static final String PASSWORD = "password";
  /** The name in the certificate (CN and DNS SAN); nodes are not identified by host name, see troupe.conf. */
  public static final String CERT_NAME = "troupe-cluster";
  private static final String ALIAS = "troupe-node";
  private static final int VALIDITY_DAYS = 3650;
  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

  private final Path dir;
  private final String password;
  private final KeyStore keyStore;
  private final KeyStore trustStore;

  private ClusterKeys(Path dir, String password, KeyStore keyStore, KeyStore trustStore) {
    this.dir = dir;
    this.password = password;
    this.keyStore = keyStore;
    this.trustStore = trustStore;
  }

  /** True if {@code dir} holds any of the three files (complete or not: {@link #load} says what is missing). */
  public static boolean present(Path dir) {
    return Files.exists(dir.resolve(KEY_STORE)) || Files.exists(dir.resolve(TRUST_STORE))
        || Files.exists(dir.resolve(PASSWORD));
  }

  /**
   * Makes new cluster keys in {@code dir} (created if missing), readable by the owner only. Refuses to overwrite
   * existing keys: nodes that have them would no longer be let in.
   */
  public static ClusterKeys generate(Path dir) throws IOException {
    if (present(dir)) {
      throw new FileAlreadyExistsException(dir + " already holds cluster keys (" + KEY_STORE + ", " + TRUST_STORE
          + ", " + PASSWORD + "); use them, or delete them first to make a new set (every node then needs the new "
          + "one)");
    }
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (!Files.isDirectory(dir)) {
      Files.createDirectory(dir, ownerOnly(OWNER_DIR));
    }
    // Everything is written in a private temporary folder and moved in at the end: keytool creates its file with the
    // process umask, which the folder's permissions make harmless, and a failure leaves no half-made set behind.
    Path tmp = Files.createTempDirectory(dir, ".cluster-keys-", ownerOnly(OWNER_DIR));
    try {
      String password = newPassword();
      Files.writeString(Files.createFile(tmp.resolve(PASSWORD), ownerOnly(OWNER_FILE)), password + "\n");
      runKeytool(tmp);
      KeyStore keyStore = read(tmp.resolve(KEY_STORE), password);
      KeyStore trustStore = KeyStore.getInstance("PKCS12");
      trustStore.load(null, null);
      trustStore.setCertificateEntry(CERT_NAME, keyStore.getCertificate(ALIAS));
      try (OutputStream out = Files.newOutputStream(Files.createFile(tmp.resolve(TRUST_STORE),
          ownerOnly(OWNER_FILE)))) {
        trustStore.store(out, password.toCharArray());
      }
      for (String name : List.of(KEY_STORE, TRUST_STORE, PASSWORD)) {
        restrict(tmp.resolve(name), OWNER_FILE);
      }
      for (String name : List.of(KEY_STORE, TRUST_STORE, PASSWORD)) {
        Files.move(tmp.resolve(name), dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("could not write the trust store in " + dir + ": " + e.getMessage(), e);
    } finally {
      deleteTree(tmp);
    }
    return load(dir);
  }

  /** Reads and checks the keys in {@code dir}; errors name the file and how to make a new set. */
  public static ClusterKeys load(Path dir) throws IOException {
    for (String name : List.of(KEY_STORE, TRUST_STORE, PASSWORD)) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        throw new IOException("cluster keys: " + dir.resolve(name) + " is missing; a cluster-keys folder holds "
            + KEY_STORE + ", " + TRUST_STORE + " and " + PASSWORD + fix(dir));
      }
    }
    String password = Files.readString(dir.resolve(PASSWORD), StandardCharsets.UTF_8).strip();
    if (password.isEmpty()) {
      throw new IOException("cluster keys: " + dir.resolve(PASSWORD) + " is empty" + fix(dir));
    }
    KeyStore keyStore = read(dir.resolve(KEY_STORE), password);
    KeyStore trustStore = read(dir.resolve(TRUST_STORE), password);
    try {
      if (!keyStore.isKeyEntry(ALIAS) || !(keyStore.getCertificate(ALIAS) instanceof X509Certificate cert)) {
        throw new IOException("cluster keys: " + dir.resolve(KEY_STORE) + " has no key \"" + ALIAS + "\"" + fix(dir));
      }
      if (trustStore.size() == 0) {
        throw new IOException("cluster keys: " + dir.resolve(TRUST_STORE) + " trusts no certificate" + fix(dir));
      }
      cert.checkValidity();
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      throw new IOException("cluster keys: the certificate in " + dir.resolve(KEY_STORE) + " is not valid now ("
          + e.getMessage() + ")" + fix(dir), e);
    } catch (GeneralSecurityException e) {
      throw new IOException("cluster keys: cannot read " + dir.resolve(KEY_STORE) + ": " + e.getMessage() + fix(dir),
          e);
    }
    return new ClusterKeys(dir.toAbsolutePath(), password, keyStore, trustStore);
  }

  public Path dir() {
    return dir;
  }

  public Path keyStore() {
    return dir.resolve(KEY_STORE);
  }

  public Path trustStore() {
    return dir.resolve(TRUST_STORE);
  }

  /** The password of both stores (and of the key). */
  public String password() {
    return password;
  }

  /** This node's identity, for TLS outside Artery (the data plane). */
  public KeyManager[] keyManagers() {
    try {
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(keyStore, password.toCharArray());
      return factory.getKeyManagers();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cluster keys in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Trusts the cluster certificate and nothing else, for TLS outside Artery (the data plane). */
  public TrustManager[] trustManagers() {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trustStore);
      return factory.getTrustManagers();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cluster keys in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static String fix(Path dir) {
    return "; make a new set with `troupe cluster-keys --out " + dir + "` (or copy the set of the server's "
        + "DATA_DIR/auth/cluster) and give the same files to every node";
  }

  private static KeyStore read(Path file, String password) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password.toCharArray());
      return store;
    } catch (IOException | GeneralSecurityException e) {
      throw new IOException("cluster keys: " + file + " is not a PKCS12 store that opens with the password in "
          + file.resolveSibling(PASSWORD) + " (" + e.getMessage() + ")" + fix(file.getParent()), e);
    }
  }

  /**
   * keytool ships with every JDK and makes the self-signed certificate, which the JDK has no public API for. The
   * password goes by file, never on the command line where other users could see it in the process list.
   */
  private static void runKeytool(Path tmp) throws IOException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    if (!Files.isExecutable(keytool)) {
      throw new IOException("cannot make cluster keys: " + keytool + " not found; run with a full JDK (not a "
          + "JRE without keytool), or run `troupe cluster-keys --out DIR` where one is installed");
    }
    String passwordFile = tmp.resolve(PASSWORD).toString();
    List<String> command = new ArrayList<>(List.of(keytool.toString(), "-genkeypair", "-noprompt",
        "-alias", ALIAS, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
        "-dname", "CN=" + CERT_NAME, "-ext", "SAN=dns:" + CERT_NAME, "-validity", String.valueOf(VALIDITY_DAYS),
        "-storetype", "PKCS12", "-keystore", tmp.resolve(KEY_STORE).toString(),
        "-storepass:file", passwordFile, "-keypass:file", passwordFile));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("cannot make cluster keys: keytool did not finish within 60 s");
      }
      if (process.exitValue() != 0 || !Files.isRegularFile(tmp.resolve(KEY_STORE))) {
        throw new IOException("cannot make cluster keys: keytool exited with " + process.exitValue() + ": " + output);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making cluster keys", e);
    }
  }

  private static String newPassword() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  private static FileAttribute<?>[] ownerOnly(Set<PosixFilePermission> permissions) {
    return posix() ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
        : new FileAttribute<?>[0];
  }

  private static void restrict(Path file, Set<PosixFilePermission> permissions) throws IOException {
    if (posix()) {
      Files.setPosixFilePermissions(file, permissions);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }
}
