"""Routes of the two endpoints, without trailing slashes as hancup serves them."""
from django.urls import path

from . import views

urlpatterns = [
    path("api/v1/courses", views.CourseList.as_view()),
    path("api/v1/courses/<str:slug>", views.CourseDetail.as_view()),
]
