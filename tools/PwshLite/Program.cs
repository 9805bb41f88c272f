using System.Management.Automation;
using System.Management.Automation.Runspaces;

// Usage: PwshLite -Command "<script>" | PwshLite -File script.ps1 [args...]
// Exit code: 0 when the script ran without errors, 1 otherwise (as pwsh -Command does with $? false).
if (args.Length < 2 || (args[0] != "-Command" && args[0] != "-c" && args[0] != "-File"))
{
    Console.Error.WriteLine("usage: PwshLite -Command <script> | -File <path> [args]");
    return 2;
}

var iss = InitialSessionState.CreateDefault2();
using var runspace = RunspaceFactory.CreateRunspace(iss);
runspace.Open();
using var ps = PowerShell.Create(runspace);
Console.CancelKeyPress += (_, e) => { e.Cancel = true; ps.Stop(); };

if (args[0] == "-File")
{
    ps.AddCommand(Path.GetFullPath(args[1]));
    // "-Name value" pairs become named parameters, a lone "-Switch" a switch, anything else a positional argument.
    var rest = args.Skip(2).ToArray();
    for (var i = 0; i < rest.Length; i++)
    {
        if (rest[i].StartsWith('-') && rest[i].Length > 1)
        {
            var name = rest[i].TrimStart('-').TrimEnd(':');
            if (i + 1 < rest.Length && !rest[i + 1].StartsWith('-')) ps.AddParameter(name, rest[++i]);
            else ps.AddParameter(name);
        }
        else ps.AddArgument(rest[i]);
    }
}
else
{
    ps.AddScript(string.Join(' ', args.Skip(1)));
}

ps.Streams.Error.DataAdded += (_, e) => Console.Error.WriteLine("ERROR: " + Describe(ps.Streams.Error[e.Index]));
ps.Streams.Warning.DataAdded += (_, e) => Console.Error.WriteLine("WARNING: " + ps.Streams.Warning[e.Index].Message);
ps.Streams.Verbose.DataAdded += (_, e) => Console.Error.WriteLine("VERBOSE: " + ps.Streams.Verbose[e.Index].Message);
ps.Streams.Debug.DataAdded += (_, e) => Console.Error.WriteLine("DEBUG: " + ps.Streams.Debug[e.Index].Message);
ps.Streams.Information.DataAdded += (_, e) => Console.WriteLine(ps.Streams.Information[e.Index].MessageData);

var output = new PSDataCollection<PSObject>();
output.DataAdded += (_, e) => Console.WriteLine(Render(output[e.Index]));
try
{
    ps.Invoke(null, output);
}
catch (RuntimeException e)
{
    Console.Error.WriteLine("ERROR: " + Describe(e.ErrorRecord));
    return 1;
}
return ps.HadErrors ? 1 : 0;

static string Describe(ErrorRecord r) => $"{r} [{r.FullyQualifiedErrorId}]";

// The SMA package has no formatting cmdlets (Out-String, Format-*): print objects as Format-List would.
static string Render(PSObject? o)
{
    if (o?.BaseObject is null) return "";
    if (o.BaseObject is string or ValueType) return o.ToString();
    var lines = o.Properties.Select(p =>
    {
        object? value;
        try { value = p.Value; } catch (GetValueException) { value = null; }
        var text = value is System.Collections.IEnumerable seq and not string ? "{" + string.Join(", ", seq.Cast<object>()) + "}" : value?.ToString();
        return $"{p.Name,-14} : {text}";
    });
    return string.Join(Environment.NewLine, lines) + Environment.NewLine;
}
