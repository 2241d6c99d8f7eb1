/**
 * The pieces both shipped dashboards are built from, with Grafana's own schema types
 * (@grafana/grafana-foundation-sdk): the data source variables, panel ids and refIds, and
 * a query type for the ClickHouse data source plugin (grafana-clickhouse-datasource), which
 * the SDK does not carry.
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { DatasourceVariableBuilder, type DataSourceRef, type Panel, type RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';

export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
export const CLICKHOUSE: DataSourceRef = { type: 'grafana-clickhouse-datasource', uid: '${datasource}' };

/** A dashboard variable choosing the data source of `ref`'s type (provisioning names one; an operator may pick another). */
export function datasourceVariable(ref: DataSourceRef, label: string): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource').label(label).type(ref.type!);
}

/** PromQL target; refIds are given by `numberPanels`. */
export function prom(expr: string, legend: string): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).legendFormat(legend).range().datasource(PROMETHEUS);
}

/** The plugin's (v4) query model: raw SQL, `format` 0 time series, 1 table. */
export interface ClickHouseQuery {
  refId?: string;
  hide?: boolean;
  datasource: DataSourceRef;
  editorType: 'sql';
  queryType: 'timeseries' | 'table';
  format: 0 | 1;
  rawSql: string;
  _implementsDataqueryVariant(): void;
}

export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(rawSql: string, kind: 'timeseries' | 'table') {
    this.internal = {
      datasource: CLICKHOUSE,
      editorType: 'sql',
      queryType: kind,
      format: kind === 'timeseries' ? 0 : 1,
      rawSql,
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }
}

/** Gives panels ids 1, 2, ... in order and their targets refIds A, B, ... (Grafana needs both unique). */
export function numberPanels(panels: (Panel | RowPanel)[] | undefined): void {
  (panels ?? []).forEach((p, i) => {
    p.id = i + 1;
    if (p.type === 'row') return;
    ((p as Panel).targets ?? []).forEach((t, j) => {
      (t as { refId?: string }).refId = String.fromCharCode(65 + j);
    });
  });
}

/** The committed form of a dashboard: what `JSON.stringify` writes, two-space indented, newline-terminated. */
export function dashboardJson(dashboard: unknown): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
