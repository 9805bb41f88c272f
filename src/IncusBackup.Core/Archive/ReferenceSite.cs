using YamlDotNet.RepresentationModel;

namespace IncusBackup.Archive;

/// <summary>One name in backup YAML that a mapping may change, e.g. owner "instance a1", field "device root: pool".</summary>
internal sealed record ReferenceSite(ReferenceKind Kind, string Owner, string Field, YamlScalarNode Node);
