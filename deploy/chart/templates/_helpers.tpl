{{/* The namespace of the operator's objects. */}}
{{- define "gdpr-operator.namespace" -}}
{{- .Values.namespace | default .Release.Namespace -}}
{{- end -}}

{{/*
Every object's labels. helm.sh/chart and app.kubernetes.io/managed-by describe a Helm
release only: scripts/generate-manifests leaves those two out of deploy/base.
*/}}
{{- define "gdpr-operator.labels" -}}
app.kubernetes.io/name: gdpr-operator
app.kubernetes.io/part-of: gdpr-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The operator's pods, as the Deployment and the metrics Service select them. */}}
{{- define "gdpr-operator.selectorLabels" -}}
app.kubernetes.io/name: gdpr-operator
app.kubernetes.io/component: operator
{{- end -}}

{{/* repository:tag, or repository:tag@digest when a digest is given. */}}
{{- define "gdpr-operator.image" -}}
{{- $image := printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- with .Values.image.digest -}}
{{- $image = printf "%s@%s" $image . -}}
{{- end -}}
{{- $image -}}
{{- end -}}

{{/* The AWS identity configured (irsa, podIdentity, webIdentity or none); fails on two. */}}
{{- define "gdpr-operator.awsIdentity" -}}
{{- $set := list -}}
{{- range $mode := list "irsa" "podIdentity" "webIdentity" -}}
{{- if (index $.Values.aws $mode).roleArn -}}
{{- $set = append $set $mode -}}
{{- end -}}
{{- end -}}
{{- if gt (len $set) 1 -}}
{{- fail (printf "aws: set the roleArn of only one of irsa, podIdentity and webIdentity (set: %s)" (join ", " $set)) -}}
{{- end -}}
{{- first $set | default "none" -}}
{{- end -}}
