using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.Incus.Remotes;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Lets -Certificate take a path as well as an X509Certificate2: a PEM certificate whose key is beside it
/// (client.crt → client.key) or in the same file, as the incus CLI keeps them.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ClientCertificateTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is not (string or FileSystemInfo)) return value;
        var path = value is FileSystemInfo file ? file.FullName
            : engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath((string)value);
        var key = Path.ChangeExtension(path, ".key");
        try
        {
            return ClientCertificate.Load(path, File.Exists(key) && key != path ? key : path);
        }
        catch (IncusBackupException e)
        {
            throw new ArgumentTransformationMetadataException($"{e.Message} {e.RecommendedAction}", e);
        }
    }
}
