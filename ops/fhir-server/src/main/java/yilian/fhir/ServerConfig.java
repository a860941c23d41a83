package yilian.fhir;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binary.api.IBinaryStorageSvc;
import ca.uhn.fhir.jpa.binstore.DatabaseBinaryContentStorageSvcImpl;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.narrative2.NullNarrativeGenerator;
import ca.uhn.fhir.rest.server.IncomingRequestAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Lazy;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * HAPI's own JPA configuration for R4 with the beans it leaves to the host: storage on H2 in the
 * data folder, and the REST server with every R4 resource provider, the system provider (history,
 * transactions) and paging through the database. No subscriptions, validation or terminology
 * loading: the tests need a FHIR server, not a terminology service.
 */
@Configuration
@Import({
  JpaR4Config.class,
  HapiJpaConfig.class,
  JpaBatch2Config.class,
  Batch2JobsConfig.class,
  // the in-memory message broker batch2 (reindexing, $expunge jobs) sends its work through
  SubscriptionChannelConfig.class,
  ThreadPoolFactoryConfig.class
})
public class ServerConfig {

  /** HAPI's defaults, as a stock server has them (searches reused for 60 s, server-assigned ids). */
  @Bean
  public JpaStorageSettings storageSettings() {
    return new JpaStorageSettings();
  }

  @Bean
  public PartitionSettings partitionSettings() {
    return new PartitionSettings();
  }

  @Bean
  public SubscriptionSettings subscriptionSettings() {
    return new SubscriptionSettings();
  }

  @Bean(destroyMethod = "close")
  public BasicDataSource dataSource(@Value("${fhir.data}") String dataDir) {
    BasicDataSource pool = new BasicDataSource();
    pool.setDriverClassName(org.h2.Driver.class.getName());
    pool.setUrl("jdbc:h2:file:" + dataDir + "/hapi;DB_CLOSE_ON_EXIT=FALSE");
    pool.setUsername("sa");
    pool.setPassword("");
    // searches run on a pool thread while the request holds its own connection: more than one
    pool.setMaxTotal(8);
    pool.setMaxWait(java.time.Duration.ofSeconds(30));
    return pool;
  }

  @Bean
  @Primary
  public LocalContainerEntityManagerFactoryBean entityManagerFactory(
      ConfigurableListableBeanFactory beanFactory,
      FhirContext fhirContext,
      JpaStorageSettings storageSettings,
      DataSource dataSource) {
    LocalContainerEntityManagerFactoryBean factory =
        HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
    factory.setPersistenceUnitName("HAPI_PU");
    factory.setDataSource(dataSource);
    Properties jpa = new Properties();
    jpa.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
    jpa.put("hibernate.hbm2ddl.auto", "update");
    jpa.put("hibernate.search.enabled", "false");
    jpa.put("hibernate.jdbc.batch_size", "20");
    jpa.put("hibernate.cache.use_query_cache", "false");
    jpa.put("hibernate.cache.use_second_level_cache", "false");
    factory.setJpaProperties(jpa);
    return factory;
  }

  @Bean
  @Primary
  public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
    return new JpaTransactionManager(entityManagerFactory);
  }

  @Bean
  @Lazy
  public IBinaryStorageSvc binaryStorageSvc() {
    return new DatabaseBinaryContentStorageSvcImpl();
  }

  @Bean
  public RestfulServer restfulServer(
      IFhirSystemDao<?, ?> systemDao,
      @Qualifier("myResourceProvidersR4") ResourceProviderFactory resourceProviders,
      JpaSystemProvider<?, ?> systemProvider,
      JpaStorageSettings storageSettings,
      ISearchParamRegistry searchParamRegistry,
      IValidationSupport validationSupport,
      DatabaseBackedPagingProvider pagingProvider) {
    FhirContext context = systemDao.getContext();
    context.setNarrativeGenerator(new NullNarrativeGenerator());
    RestfulServer server = new RestfulServer(context);
    server.registerProviders(resourceProviders.createProviders());
    server.registerProvider(systemProvider);
    server.setPagingProvider(pagingProvider);
    server.setServerAddressStrategy(new IncomingRequestAddressStrategy());
    JpaCapabilityStatementProvider capabilities =
        new JpaCapabilityStatementProvider(
            server, systemDao, storageSettings, searchParamRegistry, validationSupport);
    capabilities.setImplementationDescription("HAPI FHIR JPA server (Yilian test host)");
    server.setServerConformanceProvider(capabilities);
    return server;
  }
}
