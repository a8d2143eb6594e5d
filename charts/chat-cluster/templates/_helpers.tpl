{{- define "chat-cluster.name" -}}
{{- default .Release.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "chat-cluster.labels" -}}
app.kubernetes.io/name: chat-cluster
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sunsu-chat
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "chat-cluster.secretName" -}}
{{- printf "%s-connections" (include "chat-cluster.name" .) -}}
{{- end -}}

{{/* A secret reference: the chart's own Secret when secrets.create, else the named one (required). */}}
{{- define "chat-cluster.secretRef" -}}
{{- $root := index . 0 -}}{{- $ref := index . 1 -}}{{- $what := index . 2 -}}
name: {{ if $root.Values.secrets.create }}{{ include "chat-cluster.secretName" $root }}{{ else }}{{ required (printf "%s.name is required (or secrets.create=true)" $what) $ref.name }}{{ end }}
key: {{ $ref.key }}
{{- end -}}

{{/* One component's spec. */}}
{{- define "chat-cluster.component" -}}
{{- $root := index . 0 -}}{{- $c := index . 1 -}}{{- $image := index . 2 -}}
image: {{ default (printf "%s/%s:%s" $root.Values.image.registry $image (default $root.Chart.AppVersion $root.Values.image.tag)) $c.image | quote }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
replicas: {{ $c.replicas }}
resources: {{- toYaml $c.resources | nindent 2 }}
autoscaling: {{- toYaml $c.autoscaling | nindent 2 }}
{{- with $c.env }}
env: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
