{{/*
Name of the MirrorMaker2 Deployment, and prefix of the other objects mm2gen generates.
*/}}
{{- define "mirrormaker2.name" -}}
{{- .Values.name | default .Release.Name -}}
{{- end -}}
