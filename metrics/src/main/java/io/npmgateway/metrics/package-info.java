/** Every meter the gateway exports, defined in one place, and the Prometheus scrape output. */
package io.npmgateway.metrics;
