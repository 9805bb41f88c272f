using System.Text.Json;
using System.Text.Json.Serialization;

namespace IncusBackup.Incus;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IncusEnvelope))]
[JsonSerializable(typeof(IncusOperation))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(IncusInstance))]
[JsonSerializable(typeof(List<IncusInstance>))]
[JsonSerializable(typeof(List<IncusSnapshot>))]
[JsonSerializable(typeof(StorageVolume))]
[JsonSerializable(typeof(List<StorageVolume>))]
[JsonSerializable(typeof(StoragePool))]
[JsonSerializable(typeof(List<StoragePool>))]
[JsonSerializable(typeof(IncusProject))]
[JsonSerializable(typeof(List<IncusProject>))]
[JsonSerializable(typeof(IncusProfile))]
[JsonSerializable(typeof(IncusNetwork))]
[JsonSerializable(typeof(IncusImage))]
[JsonSerializable(typeof(List<IncusImage>))]
[JsonSerializable(typeof(List<ImageAliasEntry>))]
[JsonSerializable(typeof(ImageUpdate))]
[JsonSerializable(typeof(ImageAliasRequest))]
[JsonSerializable(typeof(ServerBackup))]
[JsonSerializable(typeof(List<ServerBackup>))]
[JsonSerializable(typeof(InstanceBackupRequest))]
[JsonSerializable(typeof(VolumeBackupRequest))]
[JsonSerializable(typeof(InstanceStateRequest))]
[JsonSerializable(typeof(RenameRequest))]
[JsonSerializable(typeof(InstanceMoveRequest))]
[JsonSerializable(typeof(ExecRequest))]
[JsonSerializable(typeof(ProjectCreateRequest))]
[JsonSerializable(typeof(InstanceUpdate))]
[JsonSerializable(typeof(InstanceCopyRequest))]
[JsonSerializable(typeof(VolumeCopyRequest))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(InstanceStateInfo))]
[JsonSerializable(typeof(List<ClusterMember>))]
[JsonSerializable(typeof(VolumeStateInfo))]
internal sealed partial class IncusJsonContext : JsonSerializerContext;
