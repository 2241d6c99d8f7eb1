// The @clickhouse/client path, against chDB serving ClickHouse's HTTP interface (src/testing/chdb-http.ts).
import { pipelineSuite } from './pipeline.js';

pipelineSuite('clickhouse');
