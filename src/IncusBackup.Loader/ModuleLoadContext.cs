using System.Reflection;
using System.Runtime.Loader;

namespace IncusBackup.Loader;

/// <summary>
/// Loads the module's cmdlets, engine and third-party dependencies (YamlDotNet, ZstdSharp) from bin/ into a
/// private AssemblyLoadContext, so another module that loaded a different version of the same library into
/// the shared context never breaks this one, and we never break it. This tiny assembly is the only one loaded
/// into PowerShell's default context; IncusBackup.psm1 calls <see cref="Initialize"/>.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly object Sync = new();
    private static ModuleLoadContext? _instance;

    private readonly string _binFolder;
    private readonly Assembly _cmdletAssembly;

    private ModuleLoadContext(string binFolder)
        : base("IncusBackup", isCollectible: false)
    {
        _binFolder = binFolder;
        _cmdletAssembly = LoadFromAssemblyPath(Path.Combine(binFolder, "IncusBackup.PowerShell.dll"));
    }

    /// <summary>Returns the cmdlet assembly, loading it (once per process) from the bin folder beside this file.</summary>
    public static Assembly Initialize()
    {
        lock (Sync)
        {
            _instance ??= new ModuleLoadContext(Path.Combine(Path.GetDirectoryName(typeof(ModuleLoadContext).Assembly.Location)!, "bin"));
            return _instance._cmdletAssembly;
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // PowerShell's own assemblies must come from the shared context, or the cmdlet types would not be PowerShell's.
        if (assemblyName.Name is "System.Management.Automation" or "Microsoft.PowerShell.CoreCLR.Eventing") return null;
        var path = Path.Combine(_binFolder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
