/** The configuration model: immutable records, loaded from YAML, environment and command line, and validated. */
package io.npmgateway.config;
