/** JMH micro-benchmarks of the gateway's hot paths. */
package io.npmgateway.bench;
