{{/* Labels on every object of this chart. */}}
{{- define "labgate.labels" -}}
app.kubernetes.io/name: labgate
app.kubernetes.io/part-of: labgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* Selects the project namespaces that LabgateKubeSpawner creates. */}}
{{- define "labgate.projectNamespaceSelector" -}}
namespaceSelector:
  matchLabels:
    app.kubernetes.io/part-of: labgate
    app.kubernetes.io/component: project-namespace
{{- end }}

{{/* The data source as LabgateKubeSpawner.data_source takes it. */}}
{{- define "labgate.dataSource" -}}
{{- if .Values.dataStore.source.nfs -}}
{{- dict "nfs" .Values.dataStore.source.nfs | toJson -}}
{{- else -}}
{{- dict "csi" .Values.dataStore.source.csi | toJson -}}
{{- end -}}
{{- end }}
