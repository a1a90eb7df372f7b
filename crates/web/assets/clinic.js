// Reads a chosen image into the hidden fields named by data-b64 and data-type, so the form
// posts it as base64 (the platform's Content-Security-Policy allows scripts from itself only).
document.querySelectorAll('input[type=file][data-b64]').forEach(function (input) {
  input.addEventListener('change', function () {
    var form = input.form;
    var target = form.querySelector('input[name="' + input.dataset.b64 + '"]');
    var type = form.querySelector('input[name="' + input.dataset.type + '"]');
    var file = input.files && input.files[0];
    if (!file) { target.value = ''; type.value = ''; return; }
    var reader = new FileReader();
    reader.onload = function () {
      var url = String(reader.result);
      target.value = url.slice(url.indexOf(',') + 1);
      type.value = file.type;
    };
    reader.readAsDataURL(file);
  });
});
