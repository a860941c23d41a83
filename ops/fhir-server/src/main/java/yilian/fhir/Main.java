package yilian.fhir;

import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * {@code hapi-fhir --port N --data DIR [--host 127.0.0.1]}: the JPA server at
 * {@code http://HOST:N/fhir}, its H2 database in DIR.
 *
 * <p>The port is bound first, before the minutes Spring and Hibernate take: a port already in use
 * fails at once, and until the server is ready every request gets 503 (so a readiness probe on
 * {@code /fhir/metadata} waits for 200).
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    String host = options.getOrDefault("host", "127.0.0.1");
    int port = Integer.parseInt(options.get("port"));
    Path data = Path.of(options.get("data")).toAbsolutePath();
    Files.createDirectories(data);
    long started = System.nanoTime();

    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost(host);
    connector.setPort(port);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    Deferred fhir = new Deferred();
    ServletHolder holder = new ServletHolder("fhir", fhir);
    holder.setInitOrder(0); // initialised as Jetty starts, so its ServletConfig is there for RestfulServer
    context.addServlet(holder, "/fhir/*");
    jetty.setHandler(context);
    jetty.setStopAtShutdown(true);
    try {
      jetty.start();
    } catch (IOException e) {
      fail("cannot listen on " + host + ":" + port + ": " + e.getMessage()
          + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
    }
    log.info("listening on http://{}:{}/fhir (503 until ready)", host, connector.getLocalPort());

    AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext();
    spring
        .getEnvironment()
        .getPropertySources()
        .addFirst(new MapPropertySource("cli", Map.of("fhir.data", data.toString())));
    spring.register(ServerConfig.class);
    spring.registerShutdownHook();
    // Spring's hook waits for a refresh under way to finish, which can take minutes: stopped
    // before it was ready, there is nothing to close gracefully
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (!fhir.isReady()) Runtime.getRuntime().halt(143);
                }));
    try {
      spring.refresh();
      fhir.ready(spring.getBean(RestfulServer.class));
    } catch (RuntimeException | ServletException e) {
      // Jetty's threads would keep a half-started server alive, answering 503 for ever
      log.error("start-up failed", e);
      fail("start-up failed: " + e.getMessage());
    }
    log.info("ready in {} ms", (System.nanoTime() - started) / 1_000_000);
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i];
      if (!name.startsWith("--") || i + 1 >= args.length) usage("unexpected argument " + name);
      options.put(name.substring(2), args[i + 1]);
    }
    for (String key : options.keySet())
      if (!key.equals("host") && !key.equals("port") && !key.equals("data")) usage("unknown option --" + key);
    if (!options.containsKey("port") || !options.containsKey("data")) usage("--port and --data are required");
    try {
      int port = Integer.parseInt(options.get("port"));
      if (port < 0 || port > 65535) usage("--port must be 0..65535");
    } catch (NumberFormatException e) {
      usage("--port must be a number, not " + options.get("port"));
    }
    return options;
  }

  private static void usage(String problem) {
    System.err.println("hapi-fhir: " + problem);
    System.err.println("usage: hapi-fhir --port N --data DIR [--host 127.0.0.1]");
    System.exit(2);
  }

  private static void fail(String problem) {
    System.err.println("hapi-fhir: " + problem);
    Runtime.getRuntime().halt(1);
  }

  /** Answers 503 until the REST server is handed over, then passes every request to it. */
  private static final class Deferred extends HttpServlet {
    private volatile RestfulServer server;

    boolean isReady() {
      return server != null;
    }

    void ready(RestfulServer restful) throws ServletException {
      restful.init(getServletConfig());
      server = restful;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
        throws ServletException, IOException {
      RestfulServer current = server;
      if (current == null) {
        response.setStatus(503);
        response.setHeader("Retry-After", "5");
        response.setContentType("text/plain");
        response.getWriter().write("starting\n");
        return;
      }
      current.service(request, response);
    }
  }
}
