// The web chat opens at its newest message, as a chat does (the conversation scrolls inside its box).
(function () {
  var box = document.getElementById("chat");
  if (box) box.scrollTop = box.scrollHeight;
})();
