using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.InfrastructureSelfTests;

/// <summary>The test host against compiled cmdlets, which is what the module ships.</summary>
public sealed class BinaryCmdletHostSelfTests : IDisposable
{
    private const string RemoveCommandType = "IncusBackup.Tests.InfrastructureSelfTests.RemoveTestItemCommand";

    private readonly PowerShellSession _session = PowerShellSession.CreateWithoutModule(iss =>
    {
        iss.Commands.Add(new SessionStateCmdletEntry("Remove-TestItem", typeof(RemoveTestItemCommand), null));
        iss.Commands.Add(new SessionStateCmdletEntry("Wait-TestSignal", typeof(WaitTestSignalCommand), null));
    });

    public void Dispose() => _session.Dispose();

    [Fact]
    public void WhatIf_lines_progress_and_verbose_are_recorded()
    {
        PowerShellResult result = _session.Invoke("'a', 'b' | Remove-TestItem -WhatIf -Verbose").AssertNoErrors();

        Assert.Equal(
            ["Performing the operation \"Remove test item\" on target \"a\".", "Performing the operation \"Remove test item\" on target \"b\"."],
            result.WhatIfLines);
        Assert.Empty(result.Output);
        Assert.Equal(["Removing a", "Removing b"], result.Progress.Select(p => p.StatusDescription));
        Assert.All(result.Progress, p => Assert.Equal("Removing test items", p.Activity));
        Assert.Equal(["Considering a", "Considering b"], result.Verbose);
        Assert.Equal(["Considering a", "Considering b"], _session.Host.UI.VerboseLines);
    }

    [Fact]
    public void ShouldContinue_with_yes_to_all_offers_the_four_answers()
    {
        _session.EnqueueChoice(ConfirmChoice.YesToAll);
        _session.EnqueueChoice(ConfirmChoice.ShouldContinueYesToAll);

        PowerShellResult result = _session.Invoke("Remove-TestItem a, b").AssertNoErrors();

        Assert.Equal(["removed a", "removed b"], result.Output.Select(o => o.BaseObject));
        Assert.Equal(2, result.Prompts.Count);
        Assert.Equal("Remove test item", result.Prompts[1].Caption);
        Assert.Equal("Really remove a?", result.Prompts[1].Message);
        Assert.Equal(["Yes", "Yes to All", "No", "No to All", "Suspend"], result.Prompts[1].Choices);
    }

    [Fact]
    public void NonInteractive_prompt_from_a_cmdlet_is_a_statement_terminating_error()
    {
        _session.NonInteractive = true;

        PowerShellResult result = _session.Invoke("Remove-TestItem a; 'next statement'");

        Assert.False(result.HadTerminatingError);
        Assert.Equal(["next statement"], result.Output.Select(o => o.BaseObject));
        ErrorRecord error = Assert.Single(result.Errors);
        var exception = Assert.IsType<PSInvalidOperationException>(error.Exception);
        Assert.Equal(NonInteractiveMode.Message, exception.Message);
        Assert.Equal($"InvalidOperation,{RemoveCommandType}", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
    }

    [Fact]
    public void NonInteractive_prompt_from_a_top_level_command_ends_the_invocation()
    {
        _session.NonInteractive = true;

        PowerShellResult result = _session.InvokeCommand("Remove-TestItem", new Hashtable { ["Name"] = "a" });

        Assert.True(result.HadTerminatingError);
        Assert.Equal($"InvalidOperation,{RemoveCommandType}", result.TerminatingError!.FullyQualifiedErrorId);
    }

    [Fact]
    public void ThrowTerminatingError_ends_only_the_statement_in_a_script()
    {
        PowerShellResult result = _session.Invoke("Remove-TestItem a -FailTerminating; 'next statement'");

        Assert.False(result.HadTerminatingError);
        Assert.Equal(["next statement"], result.Output.Select(o => o.BaseObject));
        Assert.Equal($"TestTargetUnusable,{RemoveCommandType}", Assert.Single(result.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void ThrowTerminatingError_of_a_command_invoked_alone_is_the_terminating_error()
    {
        PowerShellResult result = _session.InvokeCommand(
            "Remove-TestItem", new Hashtable { ["Name"] = "a", ["FailTerminating"] = true });

        Assert.True(result.HadTerminatingError);
        Assert.Equal($"TestTargetUnusable,{RemoveCommandType}", result.TerminatingError!.FullyQualifiedErrorId);
        Assert.Same(result.TerminatingError, Assert.Single(result.Errors));
    }

    [Fact]
    public void StopWhen_stops_the_pipeline_once_the_condition_holds()
    {
        PowerShellResult result = _session.StopWhen(
            "Wait-TestSignal", () => _session.Host.UI.ProgressRecords.Count >= 3, TimeSpan.FromSeconds(20));

        Assert.True(result.StopRequested);
        Assert.True(result.WasStopped);
        Assert.False(result.HadTerminatingError);
        Assert.True(result.Output.Count >= 3);
        Assert.True(result.StopDuration < TimeSpan.FromSeconds(5), $"stop took {result.StopDuration}");
        Assert.StartsWith("Tick ", result.Progress[0].StatusDescription, StringComparison.Ordinal);
    }

    [Fact]
    public void StopWhen_can_wait_for_output()
    {
        PowerShellResult result = _session.StopWhen("Wait-TestSignal", output => output.Count >= 5, TimeSpan.FromSeconds(20));

        Assert.True(result.WasStopped);
        Assert.Equal([1, 2, 3, 4, 5], result.Output.Take(5).Select(o => (int)o.BaseObject));
    }

    [Fact]
    public void StopWhen_returns_without_stopping_when_the_script_ends_first()
    {
        PowerShellResult result = _session.StopWhen("'quick'", () => false, TimeSpan.FromSeconds(20));

        Assert.False(result.StopRequested);
        Assert.False(result.WasStopped);
        Assert.Equal(["quick"], result.Output.Select(o => o.BaseObject));
    }

    [Fact]
    public void StopWhen_fails_when_the_condition_never_holds()
    {
        var ex = Assert.Throws<TimeoutException>(
            () => _session.StopWhen("Wait-TestSignal", () => false, TimeSpan.FromMilliseconds(300)));

        Assert.Contains("stop condition", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StopWhen_fails_when_the_command_does_not_honour_the_stop()
    {
        _session.StopGracePeriod = TimeSpan.FromMilliseconds(300);

        var ex = Assert.Throws<TimeoutException>(() => _session.StopWhen(
            "Wait-TestSignal -IgnoreStopForMilliseconds 2000", output => output.Count >= 1, TimeSpan.FromSeconds(20)));

        Assert.Contains("does not honour Stop", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StopAfter_stops_after_the_delay()
    {
        PowerShellResult result = _session.StopAfter("Wait-TestSignal", TimeSpan.FromMilliseconds(200));

        Assert.True(result.WasStopped);
        Assert.NotEmpty(result.Output);
    }
}
